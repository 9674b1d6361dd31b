"""An engagement's budget in the store: the current one is the trial's own, a past one is
kept as it stood when the next engagement opened (a cap raised within it included)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel
from sqlmodel import Session, select

from models.evaluation import engagement_terms
from models.plan import Plan
from models.tables import EngagementBudget, Trial


class StoodBudget(BaseModel):
    """An engagement's estimate, contingency (a share) and cap, in the trial's currency."""

    estimate: Decimal
    contingency: Decimal
    cap: Decimal


def close_engagement(
    *, session: Session, trial_id: int, engagement: int, budget: StoodBudget
) -> None:
    """Keep engagement `engagement`'s budget as it stood, before the next one replaces it."""
    session.add(
        EngagementBudget(
            trial_id=trial_id,
            engagement=engagement,
            estimate=budget.estimate,
            contingency=budget.contingency,
            cap=budget.cap,
        )
    )


def engagement_budget(*, session: Session, trial: Trial, engagement: int) -> StoodBudget:
    """Engagement `engagement`'s budget: the trial's own for the current engagement, the
    one kept when it closed for a past one.

    The plan's, as planned, for an engagement not opened yet (or a past one with none
    kept, which the store does not hold after migration 0012).
    """
    if engagement == trial.engagement:
        return StoodBudget(
            estimate=trial.budget_estimate,
            contingency=trial.budget_contingency,
            cap=trial.budget_cap,
        )
    kept = session.exec(
        select(EngagementBudget).where(
            EngagementBudget.trial_id == trial.id, EngagementBudget.engagement == engagement
        )
    ).first()
    if kept is not None:
        return StoodBudget(estimate=kept.estimate, contingency=kept.contingency, cap=kept.cap)
    planned = engagement_terms(Plan.model_validate_json(trial.plan_json), engagement).budget
    return StoodBudget(estimate=planned.estimate, contingency=planned.contingency, cap=planned.cap)
