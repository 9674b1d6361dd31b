"""Reading trials' status, finding their latest run in Prefect, and publishing the report."""

from __future__ import annotations

import asyncio
from uuid import UUID

from prefect import get_client, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas import filters
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.settings import PREFECT_UI_URL

from models.labels import trial_tag
from models.status import LatestRun, TrialStatus, status_markdown
from models.tables import utcnow
from store.db import read_session
from store.monitor import trial_statuses

PAGE = 200  # flow runs read per request: Prefect's default limit


@task(cache_policy=NO_CACHE)
async def read_statuses(active_only: bool = False) -> list[TrialStatus]:
    """Every trial's status as the store has it."""
    with read_session() as session:
        return trial_statuses(session=session, active_only=active_only)


@task(cache_policy=NO_CACHE)
async def read_latest_runs(slugs: list[str]) -> dict[str, LatestRun]:
    """Each trial's run to look at (see `latest_runs`): its state and its address in the UI."""
    return await latest_runs(slugs)


async def latest_runs(
    slugs: list[str], concurrency: int = 8, page: int = PAGE
) -> dict[str, LatestRun]:
    """Each trial's run to look at, found by its `trial:` tag.

    That is the run waiting at a gate, if one is (suspended or paused: the one whose form
    answers it: the trial's run, or a phase's own run when that ran alone); otherwise the
    latest top-level run, the `trial` run itself or a phase's own deployment run, whose
    state says whether it failed. The waiting runs of all the trials are read together;
    the latest runs of the others, a few trials at a time.
    """
    if not slugs:
        return {}  # an empty tag filter would not narrow the query
    base = PREFECT_UI_URL.value()
    gate = asyncio.Semaphore(concurrency)
    async with get_client() as client:

        async def latest(slug: str) -> FlowRun | None:
            query = filters.FlowRunFilter(
                tags=filters.FlowRunFilterTags(all_=[trial_tag(slug)]),
                parent_task_run_id=filters.FlowRunFilterParentTaskRunId(is_null_=True),
            )
            async with gate:
                runs = await client.read_flow_runs(
                    flow_run_filter=query, sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1
                )
            return runs[0] if runs else None

        found = await _waiting_runs(client, slugs, page)
        others = [slug for slug in slugs if slug not in found]
        for slug, run in zip(others, await asyncio.gather(*map(latest, others)), strict=True):
            if run is not None:
                found[slug] = run
    return {
        slug: LatestRun(
            state=run.state.name if run.state is not None else "Unknown",
            url=f"{base}/runs/flow-run/{run.id}" if base else None,
        )
        for slug, run in found.items()
    }


async def _waiting_runs(client: PrefectClient, slugs: list[str], page: int) -> dict[str, FlowRun]:
    """The newest run waiting at a gate (paused or suspended) of each trial that has one,
    read `page` runs at a time."""
    tags = {trial_tag(slug): slug for slug in slugs}
    query = filters.FlowRunFilter(
        tags=filters.FlowRunFilterTags(any_=list(tags)),
        state=filters.FlowRunFilterState(
            type=filters.FlowRunFilterStateType(any_=[StateType.PAUSED])
        ),
    )
    found: dict[str, FlowRun] = {}
    offset = 0
    while True:
        runs = await client.read_flow_runs(
            flow_run_filter=query,
            sort=FlowRunSort.EXPECTED_START_TIME_DESC,
            limit=page,
            offset=offset,
        )
        for run in runs:
            for tag in run.tags:
                if tag in tags:
                    found.setdefault(tags[tag], run)
        if len(runs) < page:
            return found
        offset += page


@task(cache_policy=NO_CACHE)
async def publish_status(status: TrialStatus, run: LatestRun | None) -> UUID:
    """The trial's status, as the markdown artifact `status-<trial>`."""
    return await acreate_markdown_artifact(
        markdown=status_markdown(status, utcnow(), run),
        key=f"status-{status.slug}",
        description=f"Weekly status of {status.slug}",
    )
