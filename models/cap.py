"""The budget-cap gate: the ladder reached a rung the cap does not allow, and a person decides.

Raise the cap (with a reason and a new cap that covers the rung), rescope (evaluate the
vendor on the rungs done), or exit. The engine never raises money on its own: its advice
is to rescope, so the evaluation judges what the vendor delivered within the cap.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from functools import partial

from pydantic import BaseModel

from models.budget import forecast_cost
from models.context import TrialContext
from models.errors import TrialsError
from models.gates import over_cap
from models.money import finer_than, fits, money, plain, round_money
from models.phases import Phase

WAITING_FOR_CAP = "decision at the budget cap"


class CapChoice(StrEnum):
    """What can be decided at the budget-cap gate."""

    RAISE_CAP = "raise-cap"
    RESCOPE = "rescope"
    EXIT = "exit"


# Raising the cap keeps the trial piloting: the ladder climbs the rung it stopped before.
PHASE_AFTER_CAP: dict[CapChoice, Phase] = {
    CapChoice.RAISE_CAP: Phase.PILOTING,
    CapChoice.RESCOPE: Phase.EVALUATING,
    CapChoice.EXIT: Phase.EXITING,
}


class CapRequest(BaseModel):
    """The rung the cap stopped, the money behind the stop, and the engine's advice."""

    slug: str
    trial_id: int
    gate: str
    rung: str
    currency: str
    spent: Decimal
    forecast: Decimal  # the rung's cost at the vendor's cost performance so far
    cap: Decimal
    advice: CapChoice = CapChoice.RESCOPE

    @property
    def needed(self) -> Decimal:
        """The least cap that lets the rung start."""
        return self.spent + self.forecast

    @property
    def rationale(self) -> str:
        """The stop and the advice, in one sentence."""
        show = partial(money, currency=self.currency)
        return (
            f"{self.rung}, forecast at {show(self.forecast)} {self.currency} at the cost "
            f"performance so far, on top of {show(self.spent)} spent needs {show(self.needed)}: "
            f"over the cap {show(self.cap)}. Rescope to judge the vendor on the rungs done, "
            f"raise the cap to at least {show(self.needed)} with a reason to climb on, or exit"
        )

    def check_answer(self, choice: str, value: str | None) -> None:
        """Refuse a choice the gate does not take, or a cap that does not let the rung start."""
        check_new_cap(self, parse_cap_choice(choice), value)

    def evidence(self, new_cap: Decimal | None = None) -> dict[str, object]:
        """What a decision at this gate is recorded with; a raised cap is part of it."""
        facts: dict[str, object] = {
            "rung": self.rung,
            "spent": str(self.spent),
            "forecast": str(self.forecast),
            "cap": str(self.cap),
            "currency": self.currency,
            "advice": self.advice,
        }
        if new_cap is not None:
            facts["new_cap"] = str(round_money(Decimal(new_cap), self.currency))
        return facts


def cap_gate(engagement: int, rung: str) -> str:
    """The budget-cap gate before a rung: one per rung, so a raised cap may stop a later one."""
    return f"budget-cap:e{engagement}:{rung}"


def parse_cap_choice(choice: str) -> CapChoice:
    """The cap-gate choice named, or a TrialsError naming the three there are."""
    try:
        return CapChoice(choice)
    except ValueError:
        raise TrialsError(
            f"'{choice}' is not a choice at the budget-cap gate: decide raise-cap (with "
            "--cap AMOUNT), rescope or exit."
        ) from None


def check_new_cap(request: CapRequest, choice: CapChoice, new_cap: str | Decimal | None) -> None:
    """Refuse a raise without a cap that lets the rung start, and a cap with another choice."""
    if choice is not CapChoice.RAISE_CAP:
        if new_cap is not None:
            raise TrialsError(
                f"--cap goes with raise-cap only; '{choice}' keeps the cap at "
                f"{money(request.cap, request.currency)}."
            )
        return
    if new_cap is None:
        raise TrialsError(
            "raise-cap needs the new cap: add --cap AMOUNT, at least "
            f"{plain(request.needed, request.currency)} {request.currency} so that "
            f"{request.rung} can start."
        )
    try:
        amount = Decimal(str(new_cap))
    except InvalidOperation:
        raise TrialsError(f"--cap {new_cap!r} is not an amount: write e.g. --cap 17000.") from None
    if amount.is_finite() and not fits(amount, request.currency):
        problem, fix = finer_than(amount, request.currency)
        raise TrialsError(f"--cap {new_cap}: {problem}; {fix}.")
    if not amount.is_finite() or amount < request.needed:
        raise TrialsError(
            f"A cap of {new_cap} {request.currency} does not let {request.rung} start: it needs "
            f"at least {plain(request.needed, request.currency)} ("
            f"{money(request.spent, request.currency)} spent plus the rung's forecast "
            f"{money(request.forecast, request.currency)}). Raise it to that or more, or "
            "rescope, or exit."
        )


def cap_request(
    trial: TrialContext, rung: str, estimate: Decimal, spent: Decimal, earned: Decimal
) -> CapRequest | None:
    """The cap gate before `rung`, when its forecast cost on top of the spend exceeds the cap."""
    forecast = forecast_cost(estimate, earned, spent, trial.plan.currency)
    if over_cap(spent, forecast, trial.cap) is None:
        return None
    return CapRequest(
        slug=trial.slug,
        trial_id=trial.trial_id,
        gate=cap_gate(trial.engagement, rung),
        rung=rung,
        currency=trial.plan.currency,
        spent=spent,
        forecast=forecast,
        cap=trial.cap,
    )
