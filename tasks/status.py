"""Reading trials' status, finding their latest run in Prefect, and publishing the report."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client, task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas import filters
from prefect.client.schemas.sorting import FlowRunSort
from prefect.settings import PREFECT_UI_URL

from models.status import TrialStatus, status_markdown
from models.tables import utcnow
from store.db import read_session
from store.monitor import trial_statuses


@task(cache_policy=NO_CACHE)
async def read_statuses(active_only: bool = False) -> list[TrialStatus]:
    """Every trial's status as the store has it."""
    with read_session() as session:
        return trial_statuses(session=session, active_only=active_only)


@task(cache_policy=NO_CACHE)
async def latest_run_urls(slugs: list[str]) -> dict[str, str]:
    """The Prefect UI address of each trial's latest flow run."""
    return await run_urls(slugs)


async def run_urls(slugs: list[str]) -> dict[str, str]:
    """The Prefect UI address of each trial's latest flow run, by its `trial:` tag."""
    base = PREFECT_UI_URL.value()
    found: dict[str, str] = {}
    async with get_client() as client:
        for slug in slugs:
            runs = await client.read_flow_runs(
                flow_run_filter=filters.FlowRunFilter(
                    tags=filters.FlowRunFilterTags(all_=[f"trial:{slug}"])
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_DESC,
                limit=1,
            )
            if runs and base:
                found[slug] = f"{base}/runs/flow-run/{runs[0].id}"
    return found


@task(cache_policy=NO_CACHE)
async def publish_status(status: TrialStatus, run_url: str | None) -> UUID:
    """The trial's status, as the markdown artifact `status-<trial>`."""
    return await acreate_markdown_artifact(
        markdown=status_markdown(status, utcnow(), run_url),
        key=f"status-{status.slug}",
        description=f"Weekly status of {status.slug}",
    )
