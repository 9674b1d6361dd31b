"""The trial report: read from the store, drawn and rendered, written to disk, shown in Prefect."""

from __future__ import annotations

from prefect import flow

from tasks.reports import publish_report, read_report, render_report, write_report


@flow(name="report", flow_run_name="report-{slug}")
async def report(slug: str) -> list[str]:
    """Write the trial's report (HTML, Markdown, burn chart) and publish it as artifacts."""
    rendered = await render_report(await read_report(slug))
    paths = await write_report(rendered, slug)
    await publish_report(rendered, slug, paths)
    return [str(path) for path in paths]
