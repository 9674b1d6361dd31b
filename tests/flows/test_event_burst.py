"""A burst of a thousand vendor events in a second, some delivered twice, against a Prefect
server of this module's own: the carry-on deployment's trigger starts exactly one run per
trial once its events settle, and every distinct event is stored once."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from prefect import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterDeploymentId
from prefect.client.schemas.objects import FlowRun
from prefect.events import Event
from prefect.events.clients import PrefectEventsClient
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from prefect.settings import PREFECT_API_URL, temporary_settings

from tests.flows.test_service import trials
from tests.servers import prefect_server_on_postgres

pytestmark = pytest.mark.e2e

NEWS = "trials.vendor.work_item.updated"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Prefect server of this module's own, on PostgreSQL, with prefect.yaml's deployments
    and their triggers registered by `trials deploy`: its API URL.

    Its own, so that the trigger service works through this burst alone: on the session's
    server it would first work through every event the earlier tests left queued."""
    with (
        prefect_server_on_postgres(
            tmp_path_factory.mktemp("server"),
            PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL="0.2",
        ) as env,
        temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}),
    ):
        done = trials("deploy")
        assert done.returncode == 0, done.stderr + done.stdout
        yield env["PREFECT_API_URL"]


async def test_a_burst_of_a_thousand_events_starts_one_carry_on_per_trial(server: str) -> None:
    """Five hundred events about ten trials, each delivered twice, so a thousand within a
    second or two: every distinct event is stored once and, once each trial's events have
    settled, there is exactly one carry-on run per trial (no worker here, so they stay
    scheduled; a worker would find these trials unknown to the store)."""
    since = datetime.now(UTC) - timedelta(seconds=5)
    batch = uuid.uuid4().hex[:6]
    slugs = [f"burst-{batch}-{n}" for n in range(10)]
    async with PrefectEventsClient(api_url=server) as events:
        for n in range(500):
            slug = slugs[n % 10]
            event = Event(
                event=NEWS,
                resource={
                    "prefect.resource.id": f"trials.trial.{slug}",
                    "prefect.resource.name": slug,
                },
                id=uuid.uuid5(uuid.NAMESPACE_URL, f"{batch}:{n}"),
            )
            for _ in range(2):  # delivered again, as after an acknowledgement that was lost
                await events.emit(event)

    # Bounds on the waits, not speed targets: the server works through the burst at its
    # own pace, and on two busy cores its trigger service took over 90 s.
    deadline = time.monotonic() + 120
    while (stored := await stored_events(batch, since)) < 500:
        assert time.monotonic() < deadline, f"{stored} of the 500 distinct events were stored"
        await asyncio.sleep(1)
    deadline = time.monotonic() + 300
    while len(carried := await carry_on_runs(slugs)) < len(slugs):
        assert time.monotonic() < deadline, f"{len(carried)} carry-on runs"
        await asyncio.sleep(1)
    await asyncio.sleep(15)  # past another quiet window: nothing more comes

    carried = await carry_on_runs(slugs)
    assert sorted(run.parameters["slug"] for run in carried) == sorted(slugs)
    assert await stored_events(batch, since) == 500


async def stored_events(batch: str, since: datetime) -> int:
    """How many of the burst's events the server has stored."""
    async with get_client() as client:
        page = await client.read_events(
            filter=EventFilter(
                occurred=EventOccurredFilter(since=since),
                event=EventNameFilter(name=[NEWS]),
                resource=EventResourceFilter(id_prefix=[f"trials.trial.burst-{batch}-"]),
            ),
            limit=1,
        )
    return page.total


async def carry_on_runs(slugs: list[str]) -> list[FlowRun]:
    """The carry-on deployment's runs for these trials (named once they start, so found by
    their parameters)."""
    async with get_client() as client:
        deployment = await client.read_deployment_by_name("carry-on/trials")
        runs = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id])
            ),
            limit=200,
        )
    return [run for run in runs if run.parameters.get("slug") in slugs]
