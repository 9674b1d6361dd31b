"""Event-triggered carrying-on as a service: a vendor's signed webhooks, turned into Prefect
events by the receiver, start the trial's deployment through the carry-on deployment's
trigger; the hourly monitor plays no part."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import UUID

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterStartTime,
)
from prefect.client.schemas.objects import FlowRun
from pydantic import SecretStr
from sqlmodel import col, select

from config import Settings
from models.labels import trial_tag
from models.tables import PilotTask, Trial, WebhookEvent
from store.db import read_session
from tests.flows.conftest import StoreTrial, stop_workers
from tests.flows.test_service import run_reaches, start_worker, trial_runs, trials, undeploy
from tests.webhooks.conftest import SECRET, serving
from webhooks.app import create_app

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def deployed(prefect_api: None) -> Iterator[None]:
    """prefect.yaml's deployments and their triggers, registered by `trials deploy`."""
    done = trials("deploy")
    assert done.returncode == 0, done.stderr + done.stdout
    yield
    undeploy()


@pytest.fixture
def quiet_monitor(deployed: None) -> Iterator[None]:
    """The hourly monitor's deployment paused for the test, so that only events start runs."""
    with_client = get_client(sync_client=True)
    with with_client as client:
        monitor = client.read_deployment_by_name("monitor/trials")
        client.pause_deployment(monitor.id)
        try:
            yield
        finally:
            client.resume_deployment(monitor.id)


async def runs_named(name: str, since: datetime) -> list[FlowRun]:
    async with get_client() as client:
        return await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                name=FlowRunFilterName(any_=[name]),
                start_time=FlowRunFilterStartTime(after_=since),
            )
        )


async def first_run(slug: str) -> UUID:
    """The trial's first run, asked to take the advice and to wait half a second for the
    vendor: it sends rung-1 and ends, waiting for its delivery."""
    async with get_client() as client:
        deployment = await client.read_deployment_by_name("trial/trials")
        run = await client.create_flow_run_from_deployment(
            deployment.id,
            parameters={"slug": slug, "decisions": "auto", "wait_seconds": 0.5},
            name=f"trial-{slug}",
            tags=[trial_tag(slug)],
        )
    return run.id


def phase_of(settings: Settings) -> str:
    with read_session(settings) as session:
        return session.exec(select(Trial.phase)).one()


def rung_status(settings: Settings, rung: str) -> str:
    with read_session(settings) as session:
        return session.exec(select(PilotTask.status).where(PilotTask.rung_key == rung)).one()


async def test_a_webhook_delivered_rung_is_carried_on_by_an_event_triggered_run(
    settings: Settings, stored_trial: StoreTrial, quiet_monitor: None
) -> None:
    since = datetime.now(UTC)
    hooks = settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    worker = start_worker()
    try:
        with serving(create_app(hooks)) as receiver:
            slug = stored_trial(
                seconds_per_day=2.0,  # rung-1 is delivered 6 to 8 s after it is sent
                slug="webhook-news",
                webhook_url=f"{receiver}/webhooks/vendor-of-webhook-news",
                webhook_secret=SECRET,
            )
            first = await first_run(slug)
            ended = await run_reaches(first, "Completed", timeout=180)
            assert ended.state is not None
            with read_session(settings) as session:
                waiting = session.exec(select(Trial.waiting_for)).one()
            assert waiting is not None and waiting.startswith("vendor to deliver rung-1")

            # The vendor delivers rung-1 and says so by webhook; the carry-on deployment's
            # trigger starts a run that records the delivery and climbs on, to the client's
            # review of rung-3, where it suspends.
            deadline = time.monotonic() + 180
            while rung_status(settings, "rung-1") == "submitted":
                assert time.monotonic() < deadline, "rung-1 was never carried on"
                time.sleep(0.5)
            runs = [run for run in await trial_runs(slug) if run.id != first]
            assert len(runs) == 1, f"{len(runs)} runs besides the first"
            await run_reaches(runs[0].id, "Suspended", timeout=240, key="acceptance-e1-rung-3")
    finally:
        stop_workers([worker])

    assert (rung_status(settings, "rung-1"), rung_status(settings, "rung-2")) == (
        "accepted",
        "accepted",
    )
    # rung-2's and rung-3's webhooks came while that run was under way: no third run.
    assert {run.id for run in await trial_runs(slug)} == {first, runs[0].id}
    carried = await runs_named(f"carry-on-{slug}", since)
    assert carried and all(run.state is not None and run.state.is_completed() for run in carried)
    assert min(run.start_time for run in carried if run.start_time) < runs[0].created  # type: ignore[operator]
    assert await runs_named("monitor", since) == []
    with read_session(settings) as session:
        kinds = set(session.exec(select(WebhookEvent.type).where(col(WebhookEvent.trial) == slug)))
        carried_on_at = session.exec(select(Trial.carried_on_at)).one()
    assert {"work_item.updated", "deliverable.submitted", "invoice.issued"} <= kinds
    assert carried_on_at is not None  # recorded, so the monitor does not start it again


async def test_a_decision_recorded_with_no_run_waiting_is_applied_by_an_event_triggered_run(
    settings: Settings, stored_trial: StoreTrial, quiet_monitor: None
) -> None:
    since = datetime.now(UTC)
    slug = stored_trial(slug="decided-news")
    worker = start_worker()
    try:
        async with get_client() as client:  # a run that leaves the gate to the command line
            deployment = await client.read_deployment_by_name("trial/trials")
            first = await client.create_flow_run_from_deployment(
                deployment.id,
                parameters={"slug": slug, "decisions": "defer", "wait_seconds": 0.5},
                name=f"trial-{slug}",
                tags=[trial_tag(slug)],
            )
        await run_reaches(first.id, "Completed", timeout=180)
        with read_session(settings) as session:
            assert session.exec(select(Trial.waiting_for)).one() == (
                "budget approval at onboarding"
            )
        decided = trials("decide", slug, "approve", "--reason", "In budget", "--by", "Sam Ortiz")
        assert decided.returncode == 0, decided.stderr
        assert "Told the Prefect server: its carry-on deployment starts that run" in (
            decided.stdout
        )
        # The decision's event starts the trial's deployment through the carry-on
        # deployment's trigger; that run applies the approval and climbs the ladder.
        deadline = time.monotonic() + 180
        while phase_of(settings) == "onboarding":
            assert time.monotonic() < deadline, "the approval was never applied"
            time.sleep(0.5)
    finally:
        stop_workers([worker])
    runs = [run for run in await trial_runs(slug) if run.id != first.id]
    assert len(runs) == 1, f"{len(runs)} runs besides the first"
    assert phase_of(settings) == "piloting"
    carried = await runs_named(f"carry-on-{slug}", since)
    assert len(carried) == 1 and carried[0].state is not None and carried[0].state.is_completed()
    assert await runs_named("monitor", since) == []
