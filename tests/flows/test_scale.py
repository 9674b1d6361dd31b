"""The scale path: the same deployments on a Prefect server backed by PostgreSQL, two workers;
and the monitor, as its schedule runs it there, escalating a ghost vendor."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas import filters
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.settings import PREFECT_API_URL, temporary_settings
from prefect.states import Scheduled
from sqlmodel import col, select

from config import Settings
from models.tables import AuditEntry, PilotTask, RaisedEscalation, Trial, VendorEffect
from simulator.config import ProfileName
from store.db import read_session, write_session
from tests.flows.conftest import (
    StoreTrial,
    events_about,
    start_workers,
    stop_workers,
)
from tests.servers import prefect_server_on_postgres

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def prefect_on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`trials server` on a new PostgreSQL database, for this module; the environment to
    reach it."""
    with prefect_server_on_postgres(tmp_path_factory.mktemp("server")) as env:
        yield env


def trials(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "trials"), *argv], env=env, capture_output=True, text=True, timeout=180
    )


@pytest.mark.postgres
def test_two_workers_carry_trials_through_a_prefect_server_on_postgresql(
    settings: Settings, stored_trial: StoreTrial, prefect_on_postgres: dict[str, str]
) -> None:
    env = prefect_on_postgres | {
        name: value for name, value in os.environ.items() if name.startswith("TRIALS_")
    }
    deployed = trials(env, "deploy")
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    workers = start_workers(env, 2)
    try:
        slugs = [
            stored_trial(ProfileName.RELIABLE, slug="scale-reliable"),
            stored_trial(ProfileName.POOR, slug="scale-poor"),
        ]
        for slug in slugs:
            started = trials(env, "start", slug, "--auto")
            assert started.returncode == 0, started.stderr
            assert f"trial-{slug} is scheduled" in started.stdout

        phases: dict[str, str] = {}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with read_session(settings) as session:
                phases = {
                    t.slug: t.phase
                    for t in session.exec(select(Trial).where(Trial.slug.in_(slugs)))  # type: ignore[attr-defined]
                }
            if phases == {"scale-reliable": "evaluating", "scale-poor": "closed"} and _expanded(
                settings
            ):
                break
            time.sleep(1)
        assert phases == {"scale-reliable": "evaluating", "scale-poor": "closed"}
        assert _expanded(settings)
        status = trials(env, "status", "--json")
        assert status.returncode == 0, status.stderr
        rows = {row["slug"]: row for row in json.loads(status.stdout)}
        assert rows["scale-reliable"]["latest_run"].startswith(env["PREFECT_API_URL"][:-4])
        assert rows["scale-poor"]["phase"] == "closed"
    finally:
        stop_workers(workers)


def _expanded(settings: Settings) -> bool:
    """The reliable vendor's trial opened its second engagement."""
    with read_session(settings) as session:
        return (
            session.exec(select(Trial.engagement).where(Trial.slug == "scale-reliable")).one() == 2
        )


async def fire_next_scheduled_run(deployment: str, timeout: float = 60) -> FlowRun:
    """The deployment's next run as its schedule made it, brought forward to now, so a
    worker takes it at once instead of at the top of the hour."""
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        found = await client.read_deployment_by_name(deployment)
        while time.monotonic() < deadline:
            runs = await client.read_flow_runs(
                deployment_filter=filters.DeploymentFilter(
                    id=filters.DeploymentFilterId(any_=[found.id])
                ),
                flow_run_filter=filters.FlowRunFilter(
                    state=filters.FlowRunFilterState(
                        type=filters.FlowRunFilterStateType(any_=[StateType.SCHEDULED])
                    )
                ),
                sort="EXPECTED_START_TIME_ASC",
            )
            if runs:
                run = runs[0]
                assert run.auto_scheduled, "the run should come from the deployment's schedule"
                await client.set_flow_run_state(run.id, Scheduled(), force=True)
                return run
            await asyncio.sleep(1)
    raise AssertionError(f"the scheduler never scheduled a run of {deployment}")


async def finished_run(run_id: uuid.UUID, timeout: float = 180) -> FlowRun:
    deadline = time.monotonic() + timeout
    async with get_client() as client:
        while time.monotonic() < deadline:
            run = await client.read_flow_run(run_id)
            if run.state is not None and run.state.is_final():
                return run
            await asyncio.sleep(1)
    raise AssertionError(f"run {run_id} never finished")


async def pipeline_runs(slug: str) -> list[FlowRun]:
    """The runs of the trial's deployment for this trial."""
    async with get_client() as client:
        pipeline = await client.read_deployment_by_name("trial/trials")
        return await client.read_flow_runs(
            deployment_filter=filters.DeploymentFilter(
                id=filters.DeploymentFilterId(any_=[pipeline.id])
            ),
            flow_run_filter=filters.FlowRunFilter(
                name=filters.FlowRunFilterName(any_=[f"trial-{slug}"])
            ),
        )


async def test_the_scheduled_monitor_escalates_a_ghost_vendor_once(
    settings: Settings,
    stored_trial: StoreTrial,
    prefect_on_postgres: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIALS_VENDOR_READ_TIMEOUT", "0.3")
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "2")
    slug = stored_trial(
        ProfileName.GHOST, seconds_per_day=5, ghost_after_requests=12, hang_seconds=2
    )
    env = prefect_on_postgres | {
        name: value for name, value in os.environ.items() if name.startswith("TRIALS_")
    }
    deployed = trials(env, "deploy")
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    # The first rung is sent, then the vendor goes quiet and the run leaves the trial waiting.
    ran = trials(env, "run", slug, "--auto", "--wait", "0.5")
    assert ran.returncode == 0, ran.stderr
    assert f"Trial {slug}: waiting." in ran.stdout
    # Two days pass with no word from the vendor: the rung was sent 49 hours ago.
    with write_session(settings) as session:
        [sent] = session.exec(
            select(VendorEffect).where(col(VendorEffect.key).endswith(":rung-1:work-item"))
        ).all()
        assert sent.completed_at is not None
        sent.completed_at -= timedelta(hours=49)
        session.add(sent)

    workers = start_workers(env, 1)
    try:
        with temporary_settings({PREFECT_API_URL: env["PREFECT_API_URL"]}):
            since = datetime.now(UTC)
            first = await fire_next_scheduled_run("monitor/trials")
            assert (await finished_run(first.id)).state.is_completed()  # type: ignore[union-attr]
            carried = await pipeline_runs(slug)
            second = await fire_next_scheduled_run("monitor/trials")
            assert second.id != first.id
            assert (await finished_run(second.id)).state.is_completed()  # type: ignore[union-attr]
            [event] = await events_about("trials.escalation.raised", slug, since, expected=1)
    finally:
        stop_workers(workers)

    with read_session(settings) as session:
        raised = session.exec(select(RaisedEscalation)).all()
        notes = session.exec(
            select(AuditEntry.reason).where(AuditEntry.action == "escalated")
        ).all()
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        rungs = session.exec(select(PilotTask.status).order_by(col(PilotTask.position))).all()
    assert [(r.key, r.concern) for r in raised] == [("silent:e1:rung-1", "silent")]
    assert raised[0].message.startswith("No word from Acme Managed Services on rung-1 for 2 days")
    assert notes == [raised[0].message]
    assert event.payload["key"] == "silent:e1:rung-1"
    assert len(carried) == 1  # the first monitor run started the trial's deployment
    assert (row.phase, rungs[0]) == ("piloting", "submitted")
