"""Where a trial ended up: phase, rungs, money and the last decision, for summaries."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.gate_kinds import POLICY
from models.tables import AuditEntry, CostEntry, Decision, PilotTask
from store.trials import get_trial


class TrialOutcome(BaseModel):
    """One line of a summary."""

    slug: str
    vendor: str
    phase: str
    engagement: int
    rungs: list[tuple[int, int]]  # (accepted, total) for each engagement, the first first
    spent: Decimal
    estimate: Decimal
    currency: str
    decision: str | None
    why: str | None
    stopped: str | None
    stood_in: list[str] = []  # acceptance gates answered by policy, with no client review


def trial_outcome(*, session: Session, slug: str, vendor: str) -> TrialOutcome:
    """The trial's outcome as stored now."""
    trial = get_trial(session=session, slug=slug)
    rungs = session.exec(select(PilotTask).where(PilotTask.trial_id == trial.id)).all()
    spent = session.exec(
        select(col(CostEntry.amount)).where(
            CostEntry.trial_id == trial.id, CostEntry.kind == "timesheet"
        )
    ).all()
    decision = session.exec(
        select(Decision)
        .where(Decision.trial_id == trial.id, col(Decision.gate).startswith("evaluation"))
        .order_by(col(Decision.id).desc())
    ).first()
    stopped = session.exec(
        select(AuditEntry.reason)
        .where(AuditEntry.trial_id == trial.id, AuditEntry.action == "ladder_stopped")
        .order_by(col(AuditEntry.id).desc())
    ).first()
    stood_in = session.exec(
        select(Decision.gate)
        .where(
            Decision.trial_id == trial.id,
            col(Decision.gate).startswith("acceptance"),
            Decision.decided_by == POLICY,
        )
        .order_by(col(Decision.id))
    ).all()
    return TrialOutcome(
        slug=slug,
        vendor=vendor,
        phase=trial.phase,
        engagement=trial.engagement,
        rungs=[
            (
                sum(1 for r in rungs if r.engagement == e and r.status == "accepted"),
                sum(1 for r in rungs if r.engagement == e),
            )
            for e in sorted({r.engagement for r in rungs})
        ],
        spent=sum(spent, Decimal(0)),
        estimate=trial.budget_estimate,
        currency=trial.currency,
        decision=decision.choice if decision else None,
        why=decision.reason if decision else None,
        stopped=stopped,
        stood_in=list(stood_in),
    )
