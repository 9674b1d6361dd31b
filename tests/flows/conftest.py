"""Flows run under the session's Prefect harness, against a simulator over real sockets."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterName,
    FlowRunFilterStartTime,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.events import Event
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)

from config import Settings
from planfile import load_plan, require_valid
from simulator.config import ProfileName, SimulatorConfig
from store.db import write_session
from store.trials import create_trial
from tests.conftest import EXAMPLES, StartSimulator

StoreTrial = Callable[..., str]


@pytest.fixture
def stored_trial(
    settings: Settings,
    simulator_server: StartSimulator,
    prefect_api: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> StoreTrial:
    """Store the helpdesk example as a draft trial whose vendor is a fresh simulator.

    `slug` renames the trial and its vendor, so a test can store the example more than
    once, each with its own simulator; `rewrite` changes the plan's text before it is read.
    """

    def store(
        profile: ProfileName = ProfileName.RELIABLE,
        seconds_per_day: float = 0.02,
        slug: str | None = None,
        rewrite: Callable[[str], str] | None = None,
        **config: object,
    ) -> str:
        base = simulator_server(
            SimulatorConfig(profile=profile, seconds_per_day=seconds_per_day, **config)
        )  # type: ignore[arg-type]
        monkeypatch.setenv("ACME_API_TOKEN", "sim-token")
        text = (
            (EXAMPLES / "helpdesk-takeover.yaml").read_text().replace("http://127.0.0.1:8765", base)
        )
        if slug is not None:  # a trial, and a vendor, of its own
            text = text.replace("trial: acme-helpdesk-2026q4", f"trial: {slug}")
            text = text.replace("name: Acme Managed Services", f"name: Vendor of {slug}")
        if rewrite is not None:  # the example changed as the test says
            text = rewrite(text)
        plan_file = tmp_path / f"{profile}.yaml"
        plan_file.write_text(text)
        plan = require_valid(load_plan(plan_file, settings.policy))
        with write_session(settings) as session:
            create_trial(session=session, plan=plan, actor="tester")
        return plan.trial

    return store


async def paused_run(name: str, since: datetime) -> FlowRun:
    """The flow run of that name started since then, once it is paused at a gate."""
    async with get_client() as client:
        for _ in range(450):  # up to 90 s: a busy machine climbs rungs slowly
            runs = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    name=FlowRunFilterName(any_=[name]),
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED])),
                    start_time=FlowRunFilterStartTime(after_=since),
                )
            )
            if runs:
                return runs[0]
            await asyncio.sleep(0.2)
    raise AssertionError(f"{name} never paused")


async def events_about(name: str, slug: str, since: datetime, expected: int) -> list[Event]:
    """The `name` events about the trial since then, once Prefect holds `expected` of them.

    Prefect sends events in the background, so this waits up to ten seconds for them;
    it returns what there is then, more or fewer.
    """
    query = EventFilter(
        event=EventNameFilter(name=[name]),
        resource=EventResourceFilter(id=[f"trials.trial.{slug}"]),
        occurred=EventOccurredFilter(since=since, until=datetime.now(UTC) + timedelta(minutes=1)),
    )
    events: list[Event] = []
    async with get_client() as client:
        for _ in range(50):
            events = list((await client.read_events(filter=query, limit=50)).events)
            if len(events) >= expected:
                break
            await asyncio.sleep(0.2)
    return events


PROJECT = Path(__file__).resolve().parents[2]


def start_workers(env: dict[str, str], count: int = 1) -> list[subprocess.Popen[bytes]]:
    """`trials worker` on the pool, `count` of them, run from the repository as an operator
    would, with that environment."""
    trials = str(Path(sys.executable).with_name("trials"))
    return [
        subprocess.Popen(
            [trials, "worker"],
            env=env,
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    """Stop the workers as a service manager would: SIGTERM, then SIGKILL for any still up
    after 30 s, so that no worker is left polling through the rest of the tests."""
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(timeout=30)
