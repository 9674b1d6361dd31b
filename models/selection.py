"""The selection gate of a bake-off: every vendor side by side, and which one to expand.

At the end of the shared ladder each vendor's trial is evaluated as any trial is
(`models.evaluation`); the selection puts the evaluations side by side and recommends the
vendor whose own evaluation recommends expansion with the highest score, then the lowest
estimate at completion, then the fewest days late. A tie on all three, or no vendor that
qualifies, is no recommendation, with the reasons. A person selects one vendor (its trial
expands; every other evaluated trial exits) or `none` (every evaluated trial exits).
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from models.errors import TrialsError
from models.evaluation import Evaluation
from models.gates import Choice
from models.money import money
from models.phases import Phase

SELECT = "select"
NONE = "none"  # select none: every evaluated vendor exits
WAITING_FOR_SELECTION = "selection at bake-off"
LEFT = frozenset({Phase.EXITING, Phase.CLOSED, Phase.ABORTED})


def selection_gate(bakeoff: str) -> str:
    """The key of bake-off `bakeoff`'s selection gate: `selection:BAKEOFF`."""
    return f"selection:{bakeoff}"


class Contender(BaseModel):
    """One vendor at the selection gate: its trial, and its evaluation if it got that far."""

    vendor: str  # the vendor's id in the bake-off
    name: str
    slug: str  # its trial
    phase: Phase
    evaluation: Evaluation | None = None  # None once its trial left the ladder for the exit
    rungs_done: int = 0
    spent_done: Decimal = Decimal(0)  # timesheet amounts on those rungs, not on rungs in progress

    @property
    def exited(self) -> bool:
        """Whether its trial left the bake-off (exiting, closed or aborted)."""
        return self.phase in LEFT

    @property
    def qualifies(self) -> bool:
        """Whether its own evaluation recommends expanding it, and it is still in the bake-off."""
        return (
            not self.exited
            and self.evaluation is not None
            and self.evaluation.recommendation.choice is Choice.EXPAND
        )

    @property
    def cost_per_rung(self) -> Decimal | None:
        """The cost of a finished rung: the timesheet spend on the rungs done (delivered or
        accepted, `models.budget.rung_done`) divided by their number, in the bake-off's
        currency, to 0.01. Spend on a rung still in progress counts in neither until it is
        done. None before the first rung done."""
        if self.evaluation is None or not self.rungs_done:
            return None
        return (self.spent_done / self.rungs_done).quantize(Decimal("0.01"))


class Advice(BaseModel):
    """The vendor the engine recommends selecting (None: it recommends none), and why."""

    vendor: str | None
    reasons: list[str]


class Selection(BaseModel):
    """The bake-off's selection gate: the contenders side by side, and the advice."""

    bakeoff: str
    currency: str
    contenders: list[Contender]
    advice: Advice

    @property
    def gate(self) -> str:
        """The gate's key."""
        return selection_gate(self.bakeoff)

    @property
    def rationale(self) -> str:
        """The advice's reasons, as one line."""
        return "; ".join(self.advice.reasons)

    def contender(self, vendor: str) -> Contender:
        """The contender with vendor id `vendor`, or a TrialsError naming the ones there are."""
        for contender in self.contenders:
            if contender.vendor == vendor:
                return contender
        known = ", ".join(c.vendor for c in self.contenders)
        raise TrialsError(
            f"'{vendor}' is not a vendor of bake-off '{self.bakeoff}': select one of {known}, "
            f"or {NONE} to exit them all."
        )

    @property
    def open(self) -> bool:
        """Whether the gate is open: every vendor is at evaluation or has left the bake-off."""
        return all(c.evaluation is not None or c.exited for c in self.contenders)

    @property
    def for_a_person(self) -> bool:
        """Whether `auto` leaves the selection to a person: vendors qualify, but tie."""
        return self.advice.vendor is None and any(c.qualifies for c in self.contenders)

    def check_answer(self, vendor: str) -> None:
        """Refuse a selection before the gate opens, a vendor not in the bake-off, or one
        whose trial left it."""
        if not self.open:
            waiting = ", ".join(
                f"{c.vendor} ({c.phase})"
                for c in self.contenders
                if not (c.evaluation is not None or c.exited)
            )
            raise TrialsError(
                f"Bake-off '{self.bakeoff}' is not at its selection yet: {waiting} still "
                "on the shared ladder. The selection opens when every vendor is evaluated."
            )
        if vendor == NONE:
            return
        contender = self.contender(vendor)
        if contender.exited:
            raise TrialsError(
                f"Vendor '{vendor}' of bake-off '{self.bakeoff}' has left it: its trial "
                f"{contender.slug} is {contender.phase}. Select one of the vendors still at "
                f"evaluation ({', '.join(self.selectable) or 'none'}), or {NONE}."
            )
        if contender.evaluation is None:
            raise TrialsError(
                f"Vendor '{vendor}''s trial {contender.slug} is {contender.phase}, not at "
                "evaluation yet: the selection waits for the end of the shared ladder."
            )

    @property
    def selectable(self) -> list[str]:
        """The vendors whose trials wait at evaluation."""
        return [c.vendor for c in self.contenders if c.evaluation is not None and not c.exited]

    def outcome(self, vendor: str) -> dict[str, Choice]:
        """What selecting `vendor` decides for each trial at evaluation, by slug."""
        return {
            c.slug: Choice.EXPAND if c.vendor == vendor else Choice.EXIT
            for c in self.contenders
            if c.evaluation is not None and not c.exited
        }

    def evidence(self) -> dict[str, object]:
        """What the selection is recorded with: each contender's numbers, and the advice."""
        return {
            "bakeoff": self.bakeoff,
            "advice": self.advice.model_dump(mode="json"),
            "contenders": [
                {
                    "vendor": c.vendor,
                    "trial": c.slug,
                    "phase": c.phase.value,
                    "score": None if c.evaluation is None else str(c.evaluation.score),
                    "forecast": None if c.evaluation is None else str(c.evaluation.budget.forecast),
                    "days_late": None if c.evaluation is None else str(c.evaluation.days_late),
                    "recommendation": None
                    if c.evaluation is None
                    else c.evaluation.recommendation.choice.value,
                }
                for c in self.contenders
            ],
        }


def select_among(bakeoff: str, currency: str, contenders: list[Contender]) -> Selection:
    """The selection gate for these contenders, with the engine's advice."""
    return Selection(
        bakeoff=bakeoff,
        currency=currency,
        contenders=contenders,
        advice=advise(contenders, currency),
    )


def advise(contenders: list[Contender], currency: str) -> Advice:
    """The best qualifying vendor and why; none, with why, on a tie or when none qualifies."""
    qualified = sorted((c for c in contenders if c.qualifies), key=_rank)
    others = [_why_not(c) for c in contenders if not c.qualifies]
    if not qualified:
        return Advice(vendor=None, reasons=["no vendor qualifies to expand", *others])
    best, *rest = qualified
    tied = [c.vendor for c in rest if _rank(c) == _rank(best)]
    if tied:
        names = " and ".join([best.vendor, *tied])
        return Advice(
            vendor=None,
            reasons=[
                f"{names} tie on score {_score(best)}, estimate at completion "
                f"{_forecast(best, currency)} and {_late(best)}: a person selects",
                *others,
            ],
        )
    reasons = [
        f"{best.vendor} qualifies with the highest score ({_score(best)}), estimate at "
        f"completion {_forecast(best, currency)}, {_late(best)}"
    ]
    reasons += [f"{c.vendor} qualifies too, ranked lower: {_standing(c, currency)}" for c in rest]
    return Advice(vendor=best.vendor, reasons=reasons + others)


def _rank(contender: Contender) -> tuple[Decimal, Decimal, Decimal]:
    """Higher score first, then the lower forecast, then fewer days late."""
    evaluation = contender.evaluation
    assert evaluation is not None
    return (-(evaluation.score or Decimal(0)), evaluation.budget.forecast, evaluation.days_late)


def _why_not(contender: Contender) -> str:
    """Why a vendor does not qualify: it left, or its own evaluation says so."""
    if contender.exited:
        return f"{contender.vendor} left the bake-off ({contender.slug} is {contender.phase})"
    if contender.evaluation is None:
        return f"{contender.vendor} has not reached evaluation ({contender.phase})"
    evaluation = contender.evaluation
    return (
        f"{contender.vendor} does not qualify: its evaluation recommends "
        f"{evaluation.recommendation.choice} ({evaluation.rationale or 'no reasons'})"
    )


def _standing(contender: Contender, currency: str) -> str:
    return f"score {_score(contender)}, {_forecast(contender, currency)}, {_late(contender)}"


def _score(contender: Contender) -> str:
    score = contender.evaluation.score if contender.evaluation else None
    return "none" if score is None else f"{score:.3f}"


def _forecast(contender: Contender, currency: str) -> str:
    assert contender.evaluation is not None
    return f"{money(contender.evaluation.budget.forecast, currency)} {currency}"


def _late(contender: Contender) -> str:
    assert contender.evaluation is not None
    days = contender.evaluation.days_late
    return f"{days.normalize():f} days late" if days > 0 else "on schedule"
