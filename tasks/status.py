"""Reading trials' status, finding their latest run in Prefect, and publishing the report."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas import filters
from prefect.client.schemas.sorting import FlowRunSort
from prefect.settings import PREFECT_UI_URL

from models.status import LatestRun, TrialStatus, status_markdown
from models.tables import utcnow
from store.db import read_session
from store.monitor import trial_statuses


@task(cache_policy=NO_CACHE)
async def read_statuses(active_only: bool = False) -> list[TrialStatus]:
    """Every trial's status as the store has it."""
    with read_session() as session:
        return trial_statuses(session=session, active_only=active_only)


@task(cache_policy=NO_CACHE)
async def read_latest_runs(slugs: list[str]) -> dict[str, LatestRun]:
    """Each trial's latest top-level flow run: its state and its address in the UI."""
    return await latest_runs(slugs)


async def latest_runs(slugs: list[str]) -> dict[str, LatestRun]:
    """Each trial's latest top-level flow run, found by its `trial:` tag.

    Top-level: the `trial` run itself (or a phase's own deployment run), never one of its
    phase subflows, so the link leads to the run that holds a gate's form, and its state
    says whether the trial's run failed.
    """
    base = PREFECT_UI_URL.value()
    found: dict[str, LatestRun] = {}
    async with get_client() as client:
        for slug in slugs:
            runs = await client.read_flow_runs(
                flow_run_filter=filters.FlowRunFilter(
                    tags=filters.FlowRunFilterTags(all_=[f"trial:{slug}"]),
                    parent_task_run_id=filters.FlowRunFilterParentTaskRunId(is_null_=True),
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                limit=1,
            )
            if runs:
                run = runs[0]
                found[slug] = LatestRun(
                    state=run.state.name if run.state is not None else "Unknown",
                    url=f"{base}/runs/flow-run/{run.id}" if base else None,
                )
    return found


@task(cache_policy=NO_CACHE)
async def publish_status(status: TrialStatus, run: LatestRun | None) -> UUID:
    """The trial's status, as the markdown artifact `status-<trial>`."""
    return await acreate_markdown_artifact(
        markdown=status_markdown(status, utcnow(), run),
        key=f"status-{status.slug}",
        description=f"Weekly status of {status.slug}",
    )
