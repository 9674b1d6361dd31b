"""The override index: how often the client overrode the vendor, where, with what answer,
and which missed expectations follow those overrides."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from decimal import Decimal

from pydantic import BaseModel

from models.authority import mentioned_area, normalise
from models.directives import Outcome
from models.gates import Choice, Recommendation
from models.plan import Authority, Expectation, Gates
from models.scoring import Scorecard


class Override(BaseModel):
    """A client directive that entered one of the vendor's areas, and the vendor's answer."""

    text: str
    area: str
    issued_by: str
    issued_at: datetime
    justification: str = ""
    outcome: str | None = None  # accepted, pushed_back; None while unanswered


class AreaOverrides(BaseModel):
    """The overrides of one vendor area and what the vendor answered."""

    area: str
    overrides: int
    accepted: int
    pushed_back: int
    unanswered: int


class MissAfterOverride(BaseModel):
    """A missed expectation in an area the client had overridden before it came due."""

    expectation: str
    area: str
    overrides: int  # in that area, before the expectation came due


class OverrideIndex(BaseModel):
    """Overrides against all directives, per area, and the misses that follow them."""

    directives: int
    overrides: int
    accepted: int
    pushed_back: int
    unanswered: int
    areas: list[AreaOverrides]
    misses: list[MissAfterOverride]

    @property
    def share(self) -> Decimal | None:
        """The share of the client's directives that were overrides; None without any."""
        if not self.directives:
            return None
        return (Decimal(self.overrides) / Decimal(self.directives)).quantize(Decimal("0.01"))


def expectation_area(expectation: Expectation, authority: Authority) -> str | None:
    """The area an expectation depends on: as the plan says, else inferred from its words."""
    if expectation.area is not None:
        return expectation.area
    words = f"{expectation.id} {expectation.metric} {expectation.description or ''}"
    hit = mentioned_area(words, authority.vendor_decides)
    return hit[0] if hit else None


def override_index(
    directives: int,
    overrides: list[Override],
    card: Scorecard,
    areas: dict[str, str | None],
    came_due: dict[str, datetime | None],
) -> OverrideIndex:
    """Count the overrides, and find each miss in an area overridden before it came due.

    `areas` maps an expectation id to its area; `came_due` to when it came due (None:
    not known, so every override so far counts).
    """
    per_area: dict[str, list[Override]] = {}
    for o in overrides:
        per_area.setdefault(normalise(o.area), []).append(o)
    misses = []
    for line in card.missed:
        area = areas.get(line.id)
        due = came_due.get(line.id)
        before = [
            o
            for o in per_area.get(normalise(area or ""), [])
            if due is None or _aware(o.issued_at) <= due
        ]
        if area is not None and before:
            misses.append(
                MissAfterOverride(expectation=line.id, area=before[0].area, overrides=len(before))
            )
    return OverrideIndex(
        directives=directives,
        **_answers(overrides),
        areas=[AreaOverrides(area=group[0].area, **_answers(group)) for group in per_area.values()],
        misses=misses,
    )


def came_due_at(
    expectation: Expectation, completed: Mapping[str, datetime | None]
) -> datetime | None:
    """When an expectation came due: its rung's delivery, as the engine recorded it (on the
    clock the directives are dated by), or the end of its holds_by day."""
    if expectation.holds_from is not None:
        when = completed.get(expectation.holds_from)
        return None if when is None else _aware(when)
    assert expectation.holds_by is not None
    return datetime.combine(expectation.holds_by, time.max, UTC)


def temper(
    advice: Recommendation,
    card: Scorecard,
    index: OverrideIndex,
    gates: Gates,
    *,
    over_budget: bool = False,
) -> Recommendation:
    """Say which misses follow the client's overrides, and do not exit on those misses alone.

    The misses stay misses: they count in the score, and an expansion is never recommended
    on the strength of them. But where the score is under the exit line only because of
    expectations the client overrode the vendor on before they came due, the
    recommendation is to extend instead: one more rung with the vendor choosing its own
    methods shows whether the vendor, or the client's instructions, caused the misses.
    A recommendation to exit is left as it is when the forecast is `over_budget` too: the
    vendor's methods cannot be judged on a rung the cap does not allow.
    """
    if not index.misses:
        return advice
    caused = {m.expectation: m for m in index.misses}
    rationale = [_blame(line, caused) for line in advice.rationale]
    choice = advice.choice
    score = card.score
    low = score is not None and score < gates.exit_below_score
    if choice is Choice.EXIT and low and not over_budget:
        rest = _score_without(card, set(caused))
        if rest is None or rest >= gates.exit_below_score:
            choice = Choice.EXTEND
            areas = ", ".join(sorted({m.area for m in index.misses}))
            rationale.append(
                f"without the misses that follow the client's overrides the score is "
                f"{'n/a' if rest is None else f'{rest:.0%}'}, so extend rather than exit: "
                f"let the vendor decide {areas} for a rung, then judge it on its own methods"
            )
    return Recommendation(choice=choice, rationale=rationale)


def index_line(index: OverrideIndex) -> str | None:
    """The override index in words, for the recommendation; None without overrides."""
    if not index.overrides:
        return None
    areas = ", ".join(f"{a.area} {a.overrides}" for a in index.areas)
    share = "" if index.share is None else f" ({index.share:.0%} of {index.directives})"
    return (
        f"override index: the client overrode the vendor's areas {index.overrides} times{share}"
        f" ({areas}); the vendor accepted {index.accepted}, pushed back on "
        f"{index.pushed_back}, and has yet to answer {index.unanswered}"
    )


def _blame(reason: str, caused: dict[str, MissAfterOverride]) -> str:
    """A score reason 'missed X' retold when the miss follows the client's overrides."""
    for expectation, miss in caused.items():
        if reason == f"missed '{expectation}'":
            times = "once" if miss.overrides == 1 else f"{miss.overrides} times"
            return (
                f"missed '{expectation}' after the client overrode the vendor on "
                f"'{miss.area}' {times} before it came due: the miss follows the client's "
                "overrides in that area, not the vendor's own choices"
            )
    return reason


def _score_without(card: Scorecard, excluded: set[str]) -> Decimal | None:
    """The weighted score with these expectations left out; None when nothing else is due."""
    rest = Scorecard(lines=[line for line in card.lines if line.id not in excluded])
    return rest.score


def _answers(overrides: list[Override]) -> dict[str, int]:
    outcomes = [o.outcome for o in overrides]
    return {
        "overrides": len(overrides),
        "accepted": outcomes.count(Outcome.ACCEPTED),
        "pushed_back": outcomes.count(Outcome.PUSHED_BACK),
        "unanswered": outcomes.count(None),
    }


def _aware(when: datetime) -> datetime:
    """SQLite hands back naive datetimes; the store writes UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
