"""Finding the run `trials status` links for each trial, on a Prefect server."""

from __future__ import annotations

import asyncio
from uuid import uuid4

from prefect import flow, get_client
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas.objects import FlowRun
from prefect.states import Completed, Failed, Paused, State

from models.labels import trial_tag
from tasks.status import latest_runs


@flow
def stand_in() -> None:
    """A flow to make runs of; the runs are made through the API, never run."""


async def a_run(client: PrefectClient, slug: str, state: State) -> FlowRun:
    """A run of the trial, started now (its expected start), then moved to `state`."""
    run = await client.create_flow_run(stand_in, tags=[trial_tag(slug)])
    await client.set_flow_run_state(run.id, state, force=True)
    await asyncio.sleep(0.05)  # the next run starts later
    return run


async def test_each_trial_links_its_waiting_run_else_its_latest_run(prefect_api: None) -> None:
    mark = uuid4().hex[:8]
    waiting = [f"waiting-{n}-{mark}" for n in range(3)]
    rerun, never = f"rerun-{mark}", f"never-{mark}"
    async with get_client() as client:
        paused = {slug: await a_run(client, slug, Paused()) for slug in waiting}
        for slug in waiting:  # a later run of each that finished does not hide the paused one
            await a_run(client, slug, Completed())
        await a_run(client, rerun, Failed())
        latest = await a_run(client, rerun, Completed())

    # Two waiting runs a page: the waiting runs are read over two pages.
    found = await latest_runs([*waiting, rerun, never], page=2)

    assert set(found) == {*waiting, rerun}  # a trial never run has no run to link
    for slug in waiting:
        assert found[slug].state == "Paused"
        assert found[slug].url is not None and found[slug].url.endswith(str(paused[slug].id))
    assert found[rerun].state == "Completed"
    assert found[rerun].url is not None and found[rerun].url.endswith(str(latest.id))
