"""The budget-approval gate at onboarding: what is asked, what the engine advises, what follows."""

from __future__ import annotations

from enum import StrEnum
from functools import partial

from pydantic import BaseModel

from models.budget import LadderTotals, ladder_totals
from models.errors import TrialsError
from models.money import money
from models.phases import Phase
from models.plan import Plan

WAITING_FOR_APPROVAL = "budget approval at onboarding"


class Approval(StrEnum):
    """What can be decided at the budget-approval gate."""

    APPROVE = "approve"
    REJECT = "reject"


PHASE_AFTER_APPROVAL: dict[Approval, Phase] = {
    # A rejected budget funds no pilot; the vendor's access is already recorded, so the
    # exit plan revokes it.
    Approval.APPROVE: Phase.PILOTING,
    Approval.REJECT: Phase.EXITING,
}


class BudgetRequest(BaseModel):
    """The pilot's budget as put to the person who approves it, with the engine's advice."""

    slug: str
    trial_id: int
    gate: str
    currency: str
    totals: LadderTotals
    advice: Approval | None  # None: the engine leaves it to a person
    rationale: str

    def check_answer(self, choice: str, value: str | None) -> None:
        """Refuse a choice the gate does not take, or a value it does not ask for."""
        parse_approval(choice)
        if value is not None:
            raise TrialsError("--cap goes with raise-cap at the budget cap, not the approval.")

    def evidence(self) -> dict[str, object]:
        """What a decision at this gate is recorded with."""
        return {
            "totals": self.totals.model_dump(mode="json"),
            "currency": self.currency,
            "advice": self.advice,
        }


def approval_gate(engagement: int) -> str:
    """The budget-approval gate of an engagement."""
    return f"budget-approval:e{engagement}"


def budget_request(slug: str, trial_id: int, plan: Plan) -> BudgetRequest:
    """The pilot's budget against its ladder; approve only what the plan's budget covers."""
    totals = ladder_totals(plan.pilot, plan.rate_card, plan.budget, plan.currency)
    show = partial(money, currency=plan.currency)
    cost = (
        f"the ladder costs {show(totals.cost)} {plan.currency} for {totals.hours} h at the "
        f"rate card, {show(totals.required)} with contingency; estimate "
        f"{show(totals.estimate)}, cap {show(totals.cap)}"
    )
    if totals.covered and totals.estimate <= totals.cap:
        advice: Approval | None = Approval.APPROVE
        rationale = f"{cost}: the estimate covers the ladder under the cap"
    else:
        advice = None
        rationale = f"{cost}: the estimate does not cover the ladder under the cap"
    return BudgetRequest(
        slug=slug,
        trial_id=trial_id,
        gate=approval_gate(1),
        currency=plan.currency,
        totals=totals,
        advice=advice,
        rationale=rationale,
    )


def parse_approval(choice: str) -> Approval:
    """The approval choice named, or a TrialsError naming the two there are."""
    try:
        return Approval(choice)
    except ValueError:
        raise TrialsError(
            f"'{choice}' is not a choice at the budget-approval gate: decide approve or reject."
        ) from None
