"""Where a trial ended up: phase, rungs, money and the last decision, for summaries."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from sqlmodel import Session, col, select

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
    )
