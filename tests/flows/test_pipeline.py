"""Every simulator profile through the whole pipeline, under the Prefect test harness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterParentFlowRunId,
    FlowRunFilterParentTaskRunId,
    FlowRunFilterTags,
)
from prefect.settings import PREFECT_API_URL
from sqlmodel import select

from adapters.errors import VendorUnavailable
from config import Settings
from flows.trial import trial
from models.tables import AuditEntry, Decision, ExitStep, PilotTask, Trial, Vendor
from simulator.config import ProfileName
from store.db import read_session
from tests.flows.conftest import StoreTrial


def stored(settings: Settings):  # type: ignore[no-untyped-def]
    with read_session(settings) as session:
        row = session.exec(select(Trial)).one()
        rungs = session.exec(
            select(PilotTask.status).where(PilotTask.engagement == 1).order_by(PilotTask.position)
        ).all()  # type: ignore[arg-type]
        choices = session.exec(
            select(Decision.choice).where(Decision.gate.startswith("evaluation"))
        ).all()  # type: ignore[attr-defined]
        exits = session.exec(select(ExitStep.status)).all()
        base = session.exec(select(Vendor.base_url)).one().rstrip("/")
    return row, list(rungs), list(choices), list(exits), base


def engagement_2(settings: Settings) -> list[tuple[str, str]]:
    """The rungs of the expansion's engagement and where each stands."""
    with read_session(settings) as session:
        rows = session.exec(
            select(PilotTask.rung_key, PilotTask.status)
            .where(PilotTask.engagement == 2)
            .order_by(PilotTask.position)  # type: ignore[arg-type]
        ).all()
    return [(key, status) for key, status in rows]


@pytest.mark.parametrize("profile", [ProfileName.RELIABLE, ProfileName.HOSTILE_EXIT])
async def test_a_vendor_that_delivers_is_expanded_and_climbs_the_larger_ladder(
    settings: Settings, stored_trial: StoreTrial, profile: ProfileName
) -> None:
    slug = stored_trial(profile)
    ran = await trial(slug, decisions="auto", wait_seconds=30, return_state=True)
    assert await ran.result() == "waiting"
    row, rungs, choices, exits, _ = stored(settings)
    # The same run opened engagement 2, climbed its ladder, and waits for a person at its
    # evaluation: it would expand, but the plan has no third engagement to open.
    assert (row.phase, row.engagement, row.waiting_for) == (
        "evaluating",
        2,
        "decision at evaluation",
    )
    assert rungs == ["accepted"] * 3 and choices == ["expand"]
    assert engagement_2(settings) == [("office-rollout", "accepted"), ("l2-takeover", "accepted")]
    assert exits and set(exits) == {"pending"}  # the exit plan is carried forward, ready
    async with get_client() as client:
        run = await client.read_flow_run(ran.state_details.flow_run_id)
        phases = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[run.id])
            )
        )
    # The phases ran in the trial's own run, tagged for the UI, and not as subflows.
    assert run.name == f"trial-{slug}" and phases == []
    assert {f"trial:{slug}", "vendor:Acme Managed Services"} <= set(run.tags)


async def test_a_poor_vendor_is_exited_and_closed(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.POOR)
    assert await trial(slug, decisions="auto", wait_seconds=30) == "closed"
    row, rungs, choices, exits, base = stored(settings)
    assert rungs == ["accepted", "stopped", "planned"] and choices == ["exit"]
    assert set(exits) == {"done"}
    ledger = httpx.get(f"{base}/admin/ledger").json()
    assert ledger["effects"]["exports"] == 1 and ledger["effects"]["work_items"] == 2


async def test_an_overrunner_stops_at_the_budget_gate(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER)
    assert await trial(slug, decisions="auto", wait_seconds=30) == "closed"
    row, rungs, choices, _, _ = stored(settings)
    assert rungs == ["accepted", "accepted", "stopped"] and choices == ["exit"]
    with read_session(settings) as session:
        reasons = session.exec(select(Decision.reason)).all()
    assert any("over the cap 15,500.00." in reason for reason in reasons), reasons  # the cap gate's
    assert any("exceeds the cap" in reason for reason in reasons)  # the evaluation's


async def test_a_flaky_vendor_gets_there_with_retries(
    settings: Settings, stored_trial: StoreTrial, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALS_VENDOR_READ_TIMEOUT", "0.5")
    monkeypatch.setenv("TRIALS_VENDOR_BACKOFF_INITIAL", "0.01")
    monkeypatch.setenv("TRIALS_VENDOR_BACKOFF_MAX", "0.1")
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "10")
    slug = stored_trial(
        ProfileName.FLAKY, fault_rate=0.2, slow_seconds=(0.05, 0.1), timeout_seconds=1.0
    )
    assert await trial(slug, decisions="auto", wait_seconds=30) == "waiting"
    _, rungs, _, _, base = stored(settings)
    assert rungs == ["accepted"] * 3
    assert engagement_2(settings) == [("office-rollout", "accepted"), ("l2-takeover", "accepted")]
    ledger = httpx.get(f"{base}/admin/ledger").json()
    assert ledger["effects"]["work_items"] == 5  # three pilot rungs, two of engagement 2
    assert {ref["creations"] for ref in ledger["client_refs"].values()} == {1}
    faults = httpx.get(f"{base}/admin/faults").json()
    assert faults["faults"], "the vendor really was flaky"


async def test_a_ghost_vendor_stops_the_run_with_a_clear_error(
    settings: Settings, stored_trial: StoreTrial, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALS_VENDOR_READ_TIMEOUT", "0.3")
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "2")
    slug = stored_trial(ProfileName.GHOST, ghost_after_requests=12, hang_seconds=2)
    with pytest.raises(VendorUnavailable, match=r"no answer in time \(timeout\)"):
        await trial(slug, decisions="auto", wait_seconds=30)
    row, rungs, _, _, _ = stored(settings)
    assert row.phase == "piloting"  # nothing half-written: the rung is where it got to
    assert "accepted" in rungs or "submitted" in rungs
    with read_session(settings) as session:
        assert not session.exec(
            select(AuditEntry).where(AuditEntry.action == "ladder_stopped")
        ).all()
    # `trials status` tells the operator that the trial's run failed, and where to read why.
    status = subprocess.run(
        [str(Path(sys.executable).with_name("trials")), "status"],
        env=os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert status.returncode == 0, status.stderr
    assert f"The latest run of {slug} did not finish" in status.stdout
    [row] = [line for line in status.stdout.splitlines() if line.lstrip().startswith(f"{slug} ")]
    assert row.rstrip().endswith("Failed")  # the latest run column
    as_json = subprocess.run(
        [str(Path(sys.executable).with_name("trials")), "status", "--json"],
        env=os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value())},
        capture_output=True,
        text=True,
        timeout=60,
    )
    [shown] = json.loads(as_json.stdout)
    assert shown["latest_run_state"] == "Failed"
    async with get_client() as client:  # earlier tests' trials share the name: the newest
        [failed] = await client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                tags=FlowRunFilterTags(all_=[f"trial:{slug}"]),
                parent_task_run_id=FlowRunFilterParentTaskRunId(is_null_=True),
            ),
            sort="EXPECTED_START_TIME_DESC",
            limit=1,
        )
    assert failed.name == f"trial-{slug}" and failed.state_name == "Failed"
    assert shown["latest_run"].endswith(f"/runs/flow-run/{failed.id}")
