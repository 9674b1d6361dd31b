"""Onboarding against a reliable simulated vendor, and its budget-approval gate."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
from prefect.flow_runs import resume_flow_run
from sqlmodel import col, select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.exit import exit_trial
from flows.onboarding import onboarding
from models.monitor import ANNOUNCED
from models.notify import GateNotice
from models.tables import AuditEntry, Decision, ExitStep, Trial, Vendor, VendorEffect
from store.db import read_session, write_session
from store.trials import set_waiting_for
from tasks.reporting import announce_gate
from tests.flows.conftest import StoreTrial, events_about, paused_run

runner = CliRunner()


def stored(settings: Settings, slug: str) -> tuple[Trial, list[Decision]]:
    with read_session(settings) as session:
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
        decisions = session.exec(select(Decision).order_by(col(Decision.id))).all()
    return trial, list(decisions)


async def test_onboarding_records_grants_ack_and_approval(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    assert await onboarding(slug, decisions="auto") == "approve"
    assert await onboarding(slug, decisions="auto") == "approve"  # a rerun does nothing twice
    with read_session(settings) as session:
        revocations = session.exec(
            select(ExitStep).where(ExitStep.kind == "access_revocation")
        ).all()
        effects = session.exec(select(VendorEffect)).all()
    trial, [decision] = stored(settings, slug)
    assert trial.phase == "piloting"
    assert len([r for r in revocations if r.target]) >= 2
    assert all(r.status == "pending" for r in revocations)
    assert [(e.kind, e.status) for e in effects] == [("acknowledge", "done")]
    assert (decision.gate, decision.choice, decision.decided_by) == (
        "budget-approval:e1",
        "approve",
        "policy",
    )
    evidence = json.loads(decision.evidence_json)
    assert (evidence["totals"]["required"], evidence["totals"]["cap"]) == (
        "13064.00",
        "15500",
    )  # the plan: 11,360 + 15%


async def test_ask_pauses_at_the_budget_until_trials_decide_approves(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    since = datetime.now(UTC)
    running = asyncio.create_task(onboarding(slug, decision_timeout=120))
    run = await paused_run(f"onboarding-{slug}", since)
    assert run.state is not None and run.state.state_details.pause_key == "budget-approval-e1"
    trial, decisions = stored(settings, slug)
    assert (trial.phase, trial.waiting_for, decisions) == (
        "onboarding",
        "budget approval at onboarding",
        [],
    )
    wrong = {"choice": "expand", "reason": "go", "decided_by": "x"}  # not a budget choice
    with pytest.raises(RuntimeError, match="Cannot resume"):
        await resume_flow_run(run.id, run_input=wrong)
    argv = ["decide", slug, "approve", "--reason", "Within Q4 IT budget", "--by", "Sam Ortiz"]
    answered = await asyncio.to_thread(runner.invoke, app, argv)
    assert answered.exit_code == 0, answered.output
    assert f"Resumed onboarding-{slug}" in answered.stdout
    assert await asyncio.wait_for(running, 30) == "approve"
    trial, [decision] = stored(settings, slug)
    assert (trial.phase, trial.waiting_for) == ("piloting", None)
    assert (decision.choice, decision.recommendation, decision.decided_by, decision.reason) == (
        "approve",
        "approve",
        "Sam Ortiz",
        "Within Q4 IT budget",
    )


async def test_a_rejected_budget_ends_the_trial_and_revokes_the_access(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    assert await onboarding(slug, decision_timeout=1) is None  # nobody answered in time
    trial, _ = stored(settings, slug)
    assert (trial.phase, trial.waiting_for) == ("onboarding", "budget approval at onboarding")
    wrong = await asyncio.to_thread(runner.invoke, app, ["decide", slug, "exit", "--reason", "no"])
    assert wrong.exit_code == 1
    assert "'exit' is not a choice at the budget-approval gate" in wrong.output
    argv = ["decide", slug, "reject", "--reason", "Insourcing instead", "--by", "Sam Ortiz"]
    recorded = await asyncio.to_thread(runner.invoke, app, argv)
    assert recorded.exit_code == 0, recorded.output
    assert "No onboarding run is waiting" in recorded.stdout

    assert await asyncio.wait_for(onboarding(slug), 30) == "reject"  # no pause: decided
    trial, [decision] = stored(settings, slug)
    assert (trial.phase, trial.waiting_for) == ("exiting", None)
    assert (decision.choice, decision.recommendation) == ("reject", "approve")
    await exit_trial(slug)
    with read_session(settings) as session:
        base_url = session.get_one(Vendor, trial.vendor_id).base_url.rstrip("/")
    grants = httpx.get(
        f"{base_url}/v1/trials/{slug}/access-grants",
        headers={"Authorization": "Bearer sim-token"},
    ).json()["items"]
    trial, _ = stored(settings, slug)
    assert trial.phase == "closed"
    assert grants and all(g["revoked_at"] is not None for g in grants)


async def test_a_gates_opening_is_sent_once_then_the_trial_waits_and_a_rerun_sends_nothing(
    settings: Settings, stored_trial: StoreTrial, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent: list[str] = []
    real = announce_gate

    async def counted(notice: GateNotice) -> None:  # the real send, counted
        sent.append(notice.gate)
        await real(notice)

    monkeypatch.setattr("flows.gates.announce_gate", counted)
    slug = stored_trial(slug="told-once")  # its own event ids: the API keeps the others'
    since = datetime.now(UTC)
    assert await onboarding(slug, decisions="defer") is None
    [opened] = await events_about("trials.gate.opened", slug, since, 1)
    assert opened.payload["gate"] == "budget-approval:e1"
    assert sent == ["budget-approval:e1"]
    assert waiting_of(settings) == "budget approval at onboarding"
    # A run killed after recording the send and before recording the wait leaves the trial
    # not waiting for a person, so the monitor carries it on; that rerun waits, untold again.
    with write_session(settings) as session:
        set_waiting_for(session=session, slug=slug, what=None)
    assert await onboarding(slug, decisions="defer") is None
    assert await onboarding(slug, decisions="defer") is None
    assert sent == ["budget-approval:e1"]
    assert waiting_of(settings) == "budget approval at onboarding"
    with read_session(settings) as session:
        told = session.exec(select(AuditEntry.reason).where(AuditEntry.action == ANNOUNCED)).all()
    assert told == ["budget-approval:e1"]


def waiting_of(settings: Settings) -> str | None:
    with read_session(settings) as session:
        return session.exec(select(Trial.waiting_for)).one()
