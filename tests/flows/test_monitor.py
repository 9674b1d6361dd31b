"""The scheduled monitor: it escalates a silent (ghost) vendor once, and carries trials on."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from prefect.events import Event
from sqlmodel import col, select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.monitor import monitor
from flows.trial import trial
from models.tables import AuditEntry, PilotTask, RaisedEscalation, Trial
from simulator.config import ProfileName
from store.db import read_session
from store.monitor import trial_statuses
from tests.flows.conftest import StoreTrial, events_about


async def escalation_events(slug: str, since: datetime, expected: int) -> list[Event]:
    """The escalation events about the trial since then, once Prefect has `expected` of them."""
    return await events_about("trials.escalation.raised", slug, since, expected)


async def test_the_monitor_escalates_a_ghost_vendor_once(
    settings: Settings, stored_trial: StoreTrial, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRIALS_VENDOR_READ_TIMEOUT", "0.3")
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "2")
    slug = stored_trial(
        ProfileName.GHOST, seconds_per_day=5, ghost_after_requests=12, hang_seconds=2
    )
    # The first rung is sent, then the vendor goes quiet; the monitor's attempt to carry the
    # trial on fails at the vendor, and the monitor goes on.
    assert await trial(slug, decisions="auto", wait_seconds=0.5) == "waiting"
    since = datetime.now(UTC)

    first = await monitor(advance="here", silent_after_hours=0.0, wait_seconds=0.5)
    second = await monitor(advance="none", silent_after_hours=0.0)

    assert first == {"active": 1, "escalated": 1, "advanced": 1}
    assert second == {"active": 1, "escalated": 0, "advanced": 0}
    with read_session(settings) as session:
        [raised] = session.exec(select(RaisedEscalation)).all()
        notes = session.exec(
            select(AuditEntry.reason).where(AuditEntry.action == "escalated")
        ).all()
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        rungs = session.exec(select(PilotTask.status).order_by(col(PilotTask.position))).all()
    assert (raised.key, raised.concern) == ("silent:e1:rung-1", "silent")
    assert raised.emitted_at is not None
    assert notes == [raised.message]
    assert raised.message.startswith("No word from Acme Managed Services on rung-1 for 0 min")
    assert (row.phase, rungs[0]) == ("piloting", "submitted")  # nothing half-written
    [event] = await escalation_events(slug, since, expected=1)
    assert event.payload["key"] == "silent:e1:rung-1"
    assert event.payload["concern"] == "silent"


def waiting(settings: Settings, slug: str) -> tuple[str, str | None]:
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
    return row.phase, row.waiting_for


async def test_the_monitor_leaves_a_trial_waiting_for_a_person_alone_until_they_decide(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    assert await trial(slug, decisions="defer") == "waiting"  # at the budget approval
    assert await monitor(advance="here") == {"active": 1, "escalated": 0, "advanced": 0}
    assert waiting(settings, slug) == ("onboarding", "budget approval at onboarding")
    assert await trial(slug, decisions="defer") == "waiting"  # asked again: noted once
    with read_session(settings) as session:
        [status] = trial_statuses(session=session)
        asked = session.exec(select(AuditEntry.reason).where(AuditEntry.action == "asked")).all()
    assert status.advice == "approve"
    assert status.waiting(datetime.now(UTC)).startswith(
        "budget approval at onboarding (advice: approve), "
    )
    assert asked == [
        "budget-approval:e1: advice approve: the ladder costs 11,360.00 USD for 112 h at the "
        "rate card, 13,064.00 with contingency; estimate 13,500.00, cap 15,500.00: the estimate "
        "covers the ladder under the cap"
    ]

    # Decided with no run waiting at the gate: the trial now waits for a run, not a person,
    # and the monitor's next round carries it on to the next person's gate.
    argv = ["decide", slug, "approve", "--reason", "In the Q4 budget", "--by", "Sam Ortiz"]
    recorded = await asyncio.to_thread(CliRunner().invoke, app, argv)
    assert recorded.exit_code == 0, recorded.output
    assert "the monitor's next round" in recorded.stdout
    assert waiting(settings, slug) == (
        "onboarding",
        "a run to apply the decision at budget-approval:e1",
    )
    assert await monitor(advance="here", wait_seconds=30) == {
        "active": 1,
        "escalated": 0,
        "advanced": 1,
    }
    # rung-3 is delivered, and its satisfaction is the client's to review
    assert waiting(settings, slug) == ("piloting", "client review to accept the rung")
    assert await monitor(advance="here") == {"active": 1, "escalated": 0, "advanced": 0}
    reviewed = await asyncio.to_thread(
        CliRunner().invoke, app, ["review", slug, "satisfaction", "4.6", "--by", "Sam Ortiz"]
    )
    assert reviewed.exit_code == 0, reviewed.output
    assert await monitor(advance="here", wait_seconds=30) == {
        "active": 1,
        "escalated": 0,
        "advanced": 1,
    }
    assert waiting(settings, slug) == ("evaluating", "decision at evaluation")
