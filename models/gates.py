"""The gates: whether the next rung may start, and what the evaluation recommends."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel

from models.display import shown_value
from models.errors import TrialsError
from models.money import money
from models.plan import Gates
from models.scoring import Scorecard


class Choice(StrEnum):
    """What can be decided at the evaluation gate."""

    EXPAND = "expand"
    EXTEND = "extend"
    EXIT = "exit"


def parse_choice(choice: str) -> Choice:
    """The evaluation choice named, or a TrialsError naming the three there are."""
    try:
        return Choice(choice)
    except ValueError:
        raise TrialsError(
            f"'{choice}' is not a choice at the evaluation gate: decide expand, extend or exit."
        ) from None


class Recommendation(BaseModel):
    """What the engine recommends at evaluation, and why."""

    choice: Choice
    rationale: list[str]


def missed_reasons(card: Scorecard) -> list[str]:
    """Why the expectations due so far do not hold; empty when they all do."""
    return [
        f"expectation '{line.id}' is due and "
        + (
            "was never measured"
            if line.measured is None
            else f"measured {shown_value(line.measured, line.unit)} against "
            f"{line.comparator} {line.target.normalize():f} {line.unit}"
        )
        for line in card.missed
    ]


def over_cap(spent: Decimal, forecast: Decimal, cap: Decimal) -> str | None:
    """Why the next rung may not start for budget reasons, or None when the cap allows it."""
    if spent + forecast <= cap:
        return None
    return (
        f"the next rung, forecast at {forecast} at the cost performance so far, "
        f"on top of {spent} spent would exceed the cap {cap}"
    )


def recommend(
    card: Scorecard,
    gates: Gates,
    forecast: Decimal,
    cap: Decimal,
    has_expansion: bool,
    currency: str,
) -> Recommendation:
    """Expand, extend or exit, from the score, the forecast against the cap, and the plan.

    `forecast` (estimate at completion) and `cap` are amounts in `currency`.
    """
    score = card.score
    if score is None:
        return Recommendation(
            choice=Choice.EXTEND,
            rationale=[
                "no expectation has come due yet, so there is nothing to judge the vendor on"
            ],
        )
    rationale = [
        f"weighted score {score:.0%} (expand at {gates.expand_at_score:.0%}, "
        f"exit below {gates.exit_below_score:.0%})"
    ]
    rationale += [f"missed '{line.id}'" for line in card.missed]
    rationale += [
        f"'{line.id}': the vendor reports {shown_value(line.vendor_reported, line.unit)}, "
        f"the {line.provenance} says {shown_value(line.measured, line.unit)} {line.unit}; "
        "scored on the latter"
        for line in card.disagreements
        if line.vendor_reported is not None and line.measured is not None
    ]
    if score < gates.exit_below_score:
        return Recommendation(choice=Choice.EXIT, rationale=rationale)
    if score < gates.expand_at_score:
        return Recommendation(choice=Choice.EXTEND, rationale=rationale)
    if forecast > cap:
        rationale.append(
            f"but the forecast at completion {money(forecast, currency)} exceeds the cap "
            f"{money(cap, currency)} {currency}: raise the cap "
            "with a reason, or rescope, to go on instead"
        )
        return Recommendation(choice=Choice.EXIT, rationale=rationale)
    if not has_expansion:
        rationale.append("but the plan has no expansion phase to open; add one to expand")
        return Recommendation(choice=Choice.EXTEND, rationale=rationale)
    lacking = [line.id for line in card.due if not line.independent]
    if gates.expand_requires_independent and lacking:
        rationale.append(
            "but the plan expands only on independent evidence, and "
            + ", ".join(f"'{name}'" for name in lacking)
            + " rests on the vendor's own figures: review it, or measure it from delivered "
            "files, to expand"
        )
        return Recommendation(choice=Choice.EXTEND, rationale=rationale)
    return Recommendation(choice=Choice.EXPAND, rationale=rationale)
