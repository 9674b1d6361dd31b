"""The pilot ladder against simulated vendors: climb while the gate holds, stop when it fails."""

from __future__ import annotations

import httpx
from sqlmodel import select

from config import Settings
from flows.ladder import ladder
from flows.onboarding import onboarding
from models.tables import (
    AuditEntry,
    CostEntry,
    Measurement,
    PilotTask,
    StoredFile,
    Trial,
    Vendor,
)
from simulator.config import ProfileName
from store.db import read_session
from tests.flows.conftest import StoreTrial


def rows(settings: Settings, slug: str) -> tuple[Trial, list[PilotTask]]:
    with read_session(settings) as session:
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
        rungs = session.exec(
            select(PilotTask).where(PilotTask.trial_id == trial.id).order_by(PilotTask.position)
        ).all()  # type: ignore[arg-type]
    return trial, list(rungs)


async def test_a_reliable_vendor_climbs_every_rung(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.RELIABLE)
    await onboarding(slug, decisions="auto")
    # "auto": the acceptance gate of rung-3 (its satisfaction is a client review) is
    # answered by policy, with the vendor's own value as a stand-in, labelled so.
    assert await ladder(slug, wait_seconds=30, decisions="auto") == "evaluating"
    trial, rungs = rows(settings, slug)
    assert trial.phase == "evaluating"
    assert [r.status for r in rungs] == ["accepted"] * 3
    with read_session(settings) as session:
        files = session.exec(select(StoredFile)).all()
        costs = session.exec(select(CostEntry).where(CostEntry.kind == "timesheet")).all()
        measured = session.exec(select(Measurement)).all()
    assert files and all((settings.data_dir / f.path).stat().st_size == f.size for f in files)
    assert sum(c.amount for c in costs) < sum(r.estimate for r in rungs)
    assert len(measured) >= 5
    assert await ladder(slug) == "evaluating"  # rerun: the phase moved on, nothing is redone


async def test_a_poor_vendor_is_stopped_at_the_first_gate_it_fails(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.POOR)
    await onboarding(slug, decisions="auto")
    assert await ladder(slug, wait_seconds=30) == "evaluating"
    _, rungs = rows(settings, slug)
    assert [r.status for r in rungs] == ["accepted", "stopped", "planned"]
    with read_session(settings) as session:
        stop = session.exec(select(AuditEntry).where(AuditEntry.action == "ladder_stopped")).one()
    assert stop.reason.startswith("at rung-2: expectation 'first-response' is due and measured")


async def test_an_overrunner_hits_the_budget_gate(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER)
    await onboarding(slug, decisions="auto")
    assert await ladder(slug, wait_seconds=30, decisions="auto") == "evaluating"  # rescoped
    _, rungs = rows(settings, slug)
    assert [r.status for r in rungs] == ["accepted", "accepted", "stopped"]
    assert rungs[2].vendor_ref is None  # the rung the cap forbids never reaches the vendor
    with read_session(settings) as session:
        stop = session.exec(select(AuditEntry).where(AuditEntry.action == "ladder_stopped")).one()
    assert stop.reason.startswith("at rung-3: over the cap 15,500.00 USD (")
    assert stop.reason.endswith("): rescope decided by policy")


async def test_a_slow_vendor_leaves_the_trial_waiting_without_a_worker(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.RELIABLE, seconds_per_day=1.0)
    await onboarding(slug, decisions="auto")
    assert await ladder(slug, wait_seconds=0.2) == "waiting"
    trial, rungs = rows(settings, slug)
    assert trial.waiting_for is not None
    assert trial.waiting_for.startswith("vendor to deliver rung-1")
    assert rungs[0].status == "submitted" and trial.phase == "piloting"
    with read_session(settings) as session:
        base = session.exec(select(Vendor.base_url)).one().rstrip("/")
    httpx.post(f"{base}/admin/clock/advance", params={"days": 10}).raise_for_status()
    assert await ladder(slug, wait_seconds=0.2) == "waiting"  # a later run carries on
    trial, rungs = rows(settings, slug)
    assert [r.status for r in rungs] == ["accepted", "submitted", "planned"]
    assert trial.waiting_for is not None and "rung-2" in trial.waiting_for
    ledger = httpx.get(f"{base}/admin/ledger").json()
    assert ledger["effects"]["work_items"] == 2
    assert {ref["creations"] for ref in ledger["client_refs"].values()} == {1}
