"""Onboarding against a reliable simulated vendor."""

from __future__ import annotations

from sqlmodel import select

from config import Settings
from flows.onboarding import onboarding
from models.tables import Decision, ExitStep, Trial, VendorEffect
from store.db import read_session
from tests.flows.conftest import StoreTrial


async def test_onboarding_records_grants_ack_and_approval(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    await onboarding(slug, approved_by="tester")
    await onboarding(slug, approved_by="tester")  # a rerun does nothing twice
    with read_session(settings) as session:
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
        revocations = session.exec(
            select(ExitStep).where(ExitStep.kind == "access_revocation")
        ).all()
        effects = session.exec(select(VendorEffect)).all()
        decisions = session.exec(select(Decision)).all()
    assert trial.phase == "piloting"
    assert len([r for r in revocations if r.target]) >= 2
    assert all(r.status == "pending" for r in revocations)
    assert [(e.kind, e.status) for e in effects] == [("acknowledge", "done")]
    assert [(d.gate, d.decided_by) for d in decisions] == [("budget-approval:e1", "tester")]
