"""The trial report's steps: read it from the store, draw and render it, write it, publish it."""

from __future__ import annotations

import base64
from pathlib import Path

from prefect import task
from prefect.artifacts import acreate_link_artifact, acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from config import get_settings
from reports.gather import TrialReport, gather
from reports.render import RenderedReport, render, write
from store.db import read_session


@task(cache_policy=NO_CACHE)
async def read_report(slug: str) -> TrialReport:
    """Everything the report shows, as the store has it now."""
    with read_session() as session:
        return gather(session=session, slug=slug)


@task(cache_policy=NO_CACHE)
async def render_report(report: TrialReport) -> RenderedReport:
    """The burn chart drawn, and the report rendered as Markdown and HTML."""
    return render(report)


@task(cache_policy=NO_CACHE)
async def write_report(rendered: RenderedReport, slug: str) -> list[Path]:
    """The report's files in the data directory's reports/ folder: HTML, Markdown, chart."""
    return write(rendered, get_settings().data_dir / "reports", slug)


@task(cache_policy=NO_CACHE)
async def publish_report(rendered: RenderedReport, slug: str, paths: list[Path]) -> None:
    """The report in the Prefect UI: its Markdown with the chart inside, and links to files."""
    inline = "data:image/png;base64," + base64.b64encode(rendered.chart).decode()
    await acreate_markdown_artifact(
        key=f"report-{slug}",
        markdown=rendered.markdown.replace(f"]({rendered.chart_name})", f"]({inline})"),
        description=f"The trial report of {slug}, as `trials report {slug}` writes it.",
    )
    await acreate_link_artifact(
        key=f"burn-chart-{slug}",
        link=paths[2].resolve().as_uri(),
        link_text=f"{slug}: burn chart (PNG)",
        description=f"The burn chart of {slug}, beside its HTML report {paths[0].name}.",
    )
