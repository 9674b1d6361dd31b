"""The work order for a rung: the plan's hours by role and the rate card's rates."""

from __future__ import annotations

from adapters.contract import WorkItemCreate
from models.context import TrialContext


def work_order(
    trial: TrialContext, rung_key: str, title: str, due_in_days: int, client_ref: str
) -> WorkItemCreate:
    """The work item a rung becomes; an extension rung (`<rung>-x<n>`) repeats its rung."""
    plan = trial.plan
    ladder = plan.expansion.pilot if trial.engagement > 1 and plan.expansion else plan.pilot
    by_key = {r.id: r for r in ladder}
    rung = by_key.get(rung_key) or by_key[rung_key.rsplit("-x", 1)[0]]
    return WorkItemCreate(
        client_ref=client_ref,
        trial=trial.slug,
        title=title,
        hours=dict(rung.hours),
        rates={role: plan.rate_card[role] for role in rung.hours},
        currency=plan.currency,
        due_in_days=due_in_days,
    )
