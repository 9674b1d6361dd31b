"""Reading trials' status, finding their latest run in Prefect, and publishing the report."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas import filters
from prefect.client.schemas.objects import StateType
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
    """Each trial's run to look at (see `latest_runs`): its state and its address in the UI."""
    return await latest_runs(slugs)


async def latest_runs(slugs: list[str]) -> dict[str, LatestRun]:
    """Each trial's run to look at, found by its `trial:` tag.

    That is the run waiting at a gate, if one is (suspended or paused: the one whose form
    answers it; under `trials run` the paused run is the phase's subflow); otherwise the
    latest top-level run, the `trial` run itself or a phase's own deployment run, whose
    state says whether it failed.
    """
    base = PREFECT_UI_URL.value()
    found: dict[str, LatestRun] = {}
    async with get_client() as client:
        for slug in slugs:
            tagged = filters.FlowRunFilterTags(all_=[f"trial:{slug}"])
            waiting = filters.FlowRunFilter(
                tags=tagged,
                state=filters.FlowRunFilterState(
                    type=filters.FlowRunFilterStateType(any_=[StateType.PAUSED])
                ),
            )
            top_level = filters.FlowRunFilter(
                tags=tagged,
                parent_task_run_id=filters.FlowRunFilterParentTaskRunId(is_null_=True),
            )
            for query in (waiting, top_level):
                runs = await client.read_flow_runs(
                    flow_run_filter=query, sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1
                )
                if runs:
                    found[slug] = LatestRun(
                        state=runs[0].state.name if runs[0].state is not None else "Unknown",
                        url=f"{base}/runs/flow-run/{runs[0].id}" if base else None,
                    )
                    break
    return found


@task(cache_policy=NO_CACHE)
async def publish_status(status: TrialStatus, run: LatestRun | None) -> UUID:
    """The trial's status, as the markdown artifact `status-<trial>`."""
    return await acreate_markdown_artifact(
        markdown=status_markdown(status, utcnow(), run),
        key=f"status-{status.slug}",
        description=f"Weekly status of {status.slug}",
    )
