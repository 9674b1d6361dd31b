"""The trial report as Markdown and as one self-contained HTML page, from one template.

The Markdown links the burn chart as a file beside it; the HTML page carries the chart
inside it, so the page can be mailed or archived on its own.
"""

from __future__ import annotations

import base64
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import BaseModel

from models.display import shown_value
from models.money import money
from reports.gather import TrialReport

TEMPLATES = Path(__file__).parent / "templates"


class RenderedReport(BaseModel):
    """The report's three files: its Markdown, its HTML page and its burn chart."""

    markdown: str
    html: str
    chart: bytes
    chart_name: str


def render(report: TrialReport) -> RenderedReport:
    """Draw the chart and render both forms of the report."""
    from reports.chart import burn_chart  # matplotlib is imported only to draw

    chart = burn_chart(report.budget)
    name = chart_name(report.slug)
    inline = "data:image/png;base64," + base64.b64encode(chart).decode()
    body = MarkdownIt("commonmark", {"html": False}).enable("table")
    page = (
        _env(report.currency)
        .get_template("report.html.j2")
        .render(
            title=f"{report.title}: trial report",
            body=Markup(body.render(_markdown(report, inline))),  # noqa: S704  (escaped by markdown-it)
        )
    )
    return RenderedReport(markdown=_markdown(report, name), html=page, chart=chart, chart_name=name)


def chart_name(slug: str) -> str:
    """The burn chart's file name, beside the report."""
    return f"{slug}-burn.png"


def write(rendered: RenderedReport, folder: Path, slug: str) -> list[Path]:
    """Write the report's files into `folder`; their paths: HTML, Markdown, chart."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"{slug}.html", folder / f"{slug}.md", folder / rendered.chart_name]
    for path, content in zip(
        paths, (rendered.html.encode(), rendered.markdown.encode(), rendered.chart), strict=True
    ):
        staging = path.with_name(path.name + ".partial")
        staging.write_bytes(content)
        staging.replace(path)  # a reader never sees half a report
    return paths


def _markdown(report: TrialReport, chart: str) -> str:
    return _env(report.currency).get_template("report.md.j2").render(r=report, chart=chart)


def _env(currency: str) -> Environment:
    """The report's templates, amounts shown at the places of `currency`."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        undefined=StrictUndefined,
        autoescape=False,  # Markdown; markdown-it escapes it for the HTML page
        trim_blocks=False,
        keep_trailing_newline=True,
    )
    env.filters |= {
        "money": partial(money, currency=currency),
        "pct": _pct,
        "when": _when,
        "met": _met,
        "cell": _cell,
        "measured": _measured,
        "number": _number,
    }
    return env


def _pct(share: Decimal | float | None) -> str:
    return "–" if share is None else f"{share:.0%}"


def _measured(value: Decimal | None, unit: str) -> str:
    return "–" if value is None else shown_value(value, unit)


def _number(value: Decimal | float) -> str:
    """A number from the plan as its author wrote it: 30, not 30.0000."""
    return f"{Decimal(str(value)).normalize():f}"


def _when(moment: datetime | None) -> str:
    return "–" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _met(met: bool | None) -> str:
    return {True: "yes", False: "**no**", None: "not due"}[met]


MARKUP = str.maketrans({c: f"\\{c}" for c in "\\|[]<>`*!"})


def _cell(text: str | None) -> str:
    """Free text (from the plan, a person or the vendor) as plain words in a table cell:
    one line, and no pipe, link, image or code span of its own."""
    return "–" if not text else " ".join(text.split()).translate(MARKUP)
