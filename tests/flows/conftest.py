"""Flows run under the session's Prefect harness, against a simulator over real sockets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
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
    """Store the helpdesk example as a draft trial whose vendor is a fresh simulator."""

    def store(
        profile: ProfileName = ProfileName.RELIABLE, seconds_per_day: float = 0.02, **config: object
    ) -> str:
        base = simulator_server(
            SimulatorConfig(profile=profile, seconds_per_day=seconds_per_day, **config)
        )  # type: ignore[arg-type]
        monkeypatch.setenv("ACME_API_TOKEN", "sim-token")
        text = (
            (EXAMPLES / "helpdesk-takeover.yaml").read_text().replace("http://127.0.0.1:8765", base)
        )
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
        for _ in range(150):
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
