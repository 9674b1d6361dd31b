"""What-if re-scoring of a bake-off: every vendor's evaluation on the shared ladder
recomputed under the same other weights or thresholds, and the selection advice with it.

Pure recomputation over the facts the store holds (`models.rescore` for one trial; the
advice is `models.selection.advise`, the rule the selection gate uses): nothing here is
recorded. The sensitivity gives, for each shared expectation, the nearest weights within
0-10 at which the recommended vendor would change, found as `models.rescore` finds a
trial's flips (a pass every 0.1, then every 0.01 within the step).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from models.errors import TrialsError
from models.evaluation import EvaluationFacts, evaluate
from models.rescore import COARSE, WhatIf, first_change, what_if_facts
from models.selection import NONE, Advice, Contender, advise

Winner = str  # a vendor's id, or NONE when the advice names no vendor


class Standing(BaseModel):
    """One vendor before and after: its score and its own recommendation."""

    vendor: str
    old_score: Decimal | None
    new_score: Decimal | None
    old_choice: str | None  # its evaluation's recommendation; None if it never got there
    new_choice: str | None


class WinnerFlip(BaseModel):
    """The nearest weight, above or below the one now, at which the advice names another."""

    weight: Decimal
    winner: Winner
    upward: bool


class WinnerSensitivity(BaseModel):
    """For one shared expectation: where the advised vendor would change, within 0-10."""

    id: str
    weight: Decimal
    flips: list[WinnerFlip]

    @property
    def line(self) -> str:
        """In words: "the advice becomes beta at 2.5 or more" or "none in 0–10"."""
        if not self.flips:
            return "none in 0–10"
        return "; ".join(
            f"the advice becomes {f.winner} at {f.weight.normalize():f} or "
            + ("more" if f.upward else "less")
            for f in self.flips
        )


class BakeoffRescore(BaseModel):
    """The selection advice as stored and under the what-if, vendor by vendor."""

    bakeoff: str
    old: Advice
    new: Advice
    standings: list[Standing]
    sensitivity: list[WinnerSensitivity]
    selected: str | None = None  # the selection on record, unchanged

    @property
    def flipped(self) -> bool:
        """Whether the advised vendor differs under the what-if."""
        return self.old.vendor != self.new.vendor


def rescore_bakeoff(
    bakeoff: str,
    currency: str,
    entrants: list[tuple[Contender, EvaluationFacts | None]],
    change: WhatIf,
    today: date,
    selected: str | None = None,
) -> BakeoffRescore:
    """Every contender re-evaluated under `change`, and the advice before and after.

    `entrants` pairs each contender (with its evaluation as stored, or None) with the facts
    of its shared ladder (None for one that never climbed a rung). TrialsError for a weight
    of an expectation the bake-off does not share, or one the what-if cannot score.
    """
    scored = [facts for _, facts in entrants if facts is not None]
    if not scored:
        raise TrialsError(
            f"No vendor of bake-off '{bakeoff}' has climbed a rung yet: there is no score to "
            "re-weigh. Rescore it once the vendors have delivered."
        )
    shared = [e.id for e in scored[0].terms.expectations]
    if unknown := sorted(set(change.weights) - set(shared)):
        raise TrialsError(
            f"Bake-off '{bakeoff}' shares no expectation {', '.join(map(repr, unknown))}; its "
            f"expectations are {', '.join(shared)}."
        )
    old = [c for c, _ in entrants]
    new = _contenders(entrants, change, today)
    old_advice, new_advice = advise(old, currency), advise(new, currency)
    now = new_advice.vendor or NONE
    weights = {e.id: e.weight for e in scored[0].terms.expectations} | change.weights

    def winner_at(expectation: str, weight: Decimal) -> Winner | None:
        moved = change.model_copy(update={"weights": change.weights | {expectation: weight}})
        try:
            return advise(_contenders(entrants, moved, today), currency).vendor or NONE
        except TrialsError:  # every due weight 0: no score to advise on
            return None

    return BakeoffRescore(
        bakeoff=bakeoff,
        old=old_advice,
        new=new_advice,
        standings=[_standing(a, b) for a, b in zip(old, new, strict=True)],
        sensitivity=[
            _sensitivity(expectation, weights[expectation], now, winner_at)
            for expectation in shared
        ],
        selected=selected,
    )


def _contenders(
    entrants: list[tuple[Contender, EvaluationFacts | None]], change: WhatIf, today: date
) -> list[Contender]:
    """The contenders with their evaluations recomputed under `change` (those that have
    one); the others as they are."""
    found = []
    for contender, facts in entrants:
        if facts is None or contender.evaluation is None:
            found.append(contender)
            continue
        evaluation = evaluate(what_if_facts(facts, change, today), today)
        found.append(contender.model_copy(update={"evaluation": evaluation}))
    return found


def _standing(old: Contender, new: Contender) -> Standing:
    def choice(c: Contender) -> str | None:
        return None if c.evaluation is None else str(c.evaluation.recommendation.choice)

    return Standing(
        vendor=old.vendor,
        old_score=None if old.evaluation is None else old.evaluation.score,
        new_score=None if new.evaluation is None else new.evaluation.score,
        old_choice=choice(old),
        new_choice=choice(new),
    )


def _sensitivity(
    expectation: str,
    weight: Decimal,
    now: Winner,
    winner_at: Callable[[str, Decimal], Winner | None],
) -> WinnerSensitivity:
    """The nearest weights of `expectation`, up and down within 0-10, advising another."""
    flips = []
    for step in (COARSE, -COARSE):
        found = first_change(lambda w: winner_at(expectation, w), weight, step, now)
        if found is not None:
            flips.append(WinnerFlip(weight=found[0], winner=found[1], upward=step > 0))
    return WinnerSensitivity(id=expectation, weight=weight, flips=flips)
