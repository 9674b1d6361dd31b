"""The bake-off report: every vendor side by side on the shared ladder, as Markdown and as one
self-contained HTML page, with its two charts. Read from the store in one session."""

from __future__ import annotations

import base64
from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import BaseModel
from sqlmodel import Session

from models.budget import BudgetReport, budget_report
from models.money import money
from models.selection import Selection
from models.selection_view import selection_markdown
from models.tables import utcnow
from reports.render import MARKUP, TEMPLATES
from store.bakeoffs import get_bakeoff, selection_at
from store.budget import budget_facts

CHARTS = ("scores", "burn")


class BakeoffReport(BaseModel):
    """What the report shows: the selection gate settled, each vendor's burn, the choice."""

    bakeoff: str
    title: str
    selection: Selection
    budgets: dict[str, BudgetReport]  # by vendor id: engagement 1, the shared ladder
    selected: str | None
    selected_by: str | None
    selected_reason: str | None
    selected_at: datetime | None


class RenderedBakeoff(BaseModel):
    """The report's files: Markdown, HTML page, and the charts (PNG bytes) by file name."""

    markdown: str
    html: str
    charts: dict[str, bytes]


def gather_bakeoff(*, session: Session, bakeoff: str) -> BakeoffReport:
    """The bake-off as the store has it now; a NotFoundError if there is none."""
    row = get_bakeoff(session=session, bakeoff=bakeoff)
    selection = selection_at(session=session, bakeoff=bakeoff, today=utcnow().date(), settled=True)
    budgets = {
        c.vendor: budget_report(budget_facts(session=session, slug=c.slug, engagement=1))
        for c in selection.contenders
    }
    return BakeoffReport(
        bakeoff=bakeoff,
        title=row.title,
        selection=selection,
        budgets=budgets,
        selected=row.selected,
        selected_by=row.selected_by,
        selected_reason=row.selected_reason,
        selected_at=row.selected_at,
    )


def render_bakeoff(report: BakeoffReport) -> RenderedBakeoff:
    """Draw both charts and render the report as Markdown (charts beside it) and HTML
    (charts inside it)."""
    from reports.bakeoff_charts import burn_chart, score_chart  # matplotlib only to draw

    currency = report.selection.currency
    charts = {
        chart_name(report.bakeoff, "scores"): score_chart(report.selection),
        chart_name(report.bakeoff, "burn"): burn_chart(report.bakeoff, report.budgets, currency),
    }
    inline = {
        name: "data:image/png;base64," + base64.b64encode(png).decode()
        for name, png in charts.items()
    }
    page = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True).get_template(
        "report.html.j2"
    )
    body = MarkdownIt("commonmark", {"html": False}).enable("table")
    html = page.render(
        title=f"{report.title}: bake-off report",
        body=Markup(body.render(_markdown(report, inline))),  # noqa: S704  (escaped by markdown-it)
    )
    return RenderedBakeoff(
        markdown=_markdown(report, {n: n for n in charts}), html=html, charts=charts
    )


def chart_name(bakeoff: str, chart: str) -> str:
    """A chart's file name, beside the report."""
    return f"{bakeoff}-{chart}.png"


def write_bakeoff(rendered: RenderedBakeoff, folder: Path, bakeoff: str) -> list[Path]:
    """Write the report's files into `folder`; their paths: HTML, Markdown, then the charts."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {f"{bakeoff}.html": rendered.html.encode(), f"{bakeoff}.md": rendered.markdown.encode()}
    files |= rendered.charts
    paths = []
    for name, content in files.items():
        path = folder / name
        staging = path.with_name(name + ".partial")
        staging.write_bytes(content)
        staging.replace(path)  # a reader never sees half a report
        paths.append(path)
    return paths


def _markdown(report: BakeoffReport, charts: dict[str, str]) -> str:
    """The report's Markdown, its charts linked as `charts` says (file names or data URIs)."""
    scores, burn = (charts[chart_name(report.bakeoff, c)] for c in CHARTS)
    if report.selected is None:
        decided = "Nobody has selected yet: `trials decide " + report.bakeoff + " select VENDOR`."
    else:
        when = report.selected_at.strftime("%Y-%m-%d %H:%M UTC") if report.selected_at else "–"
        decided = (
            f"**Selected: {report.selected}**, by {report.selected_by} at {when}: "
            f"{_words(report.selected_reason or '')}"
        )
    burn_lines = [
        f"- {vendor}: spent {money(b.status.actual, b.currency)} of the estimate "
        f"{money(b.estimate, b.currency)}, estimate at completion "
        f"{money(b.status.forecast, b.currency)}, cap {money(b.cap, b.currency)}"
        for vendor, b in report.budgets.items()
    ]
    return "\n".join(
        [
            selection_markdown(report.selection),
            "",
            "## The selection",
            "",
            decided,
            "",
            "## Score per expectation per vendor",
            "",
            f"![Score per expectation per vendor]({scores})",
            "",
            "## Burn per vendor on the shared ladder",
            "",
            f"![Burn per vendor]({burn})",
            "",
            *burn_lines,
            "",
        ]
    )


def _words(text: str) -> str:
    """Free text as plain words: one line, no markup of its own."""
    return " ".join(text.split()).translate(MARKUP)
