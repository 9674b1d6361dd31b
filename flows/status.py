"""The weekly status report: each active trial's status and its full report, as artifacts."""

from __future__ import annotations

from prefect import flow

from flows.report import report
from tasks.status import publish_status, read_latest_runs, read_statuses


@flow(name="status-report", flow_run_name="status-report")
async def status_report() -> int:
    """Publish the status and the report of every active trial; how many were published."""
    statuses = await read_statuses(active_only=True)
    runs = await read_latest_runs([s.slug for s in statuses])
    for status in statuses:
        await publish_status(status, runs.get(status.slug))
        await report(status.slug)
    return len(statuses)
