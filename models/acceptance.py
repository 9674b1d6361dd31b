"""The acceptance gate: a delivered rung whose due expectations include a client review is
accepted only once a person on the client side has recorded each value.

Pure rules: which reviews a rung needs, what a review value may be, and what the gate
asks. The ladder flow asks at the gate; `trials review` and the UI's form answer it.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel

from models.errors import TrialsError
from models.plan import Expectation, Source

WAITING_FOR_REVIEW = "client review to accept the rung"
ACCEPT = "accept"  # the one choice at the gate: the reviews are the answer

# Units with a scale, and the range a value on it may take: "points of 5" is 0 to 5,
# "percent" is 0 to 100. Other units take any finite value.
_OUT_OF = re.compile(r"\b(?:points?\s+)?(?:of|out of)\s+(\d+(?:\.\d+)?)\b", re.IGNORECASE)
_PERCENT = re.compile(r"^\s*(?:%|percent|per cent)\s*$", re.IGNORECASE)


def acceptance_gate(engagement: int, rung: str) -> str:
    """The acceptance gate of a rung: one per rung, `acceptance:e1:rung-3`."""
    return f"acceptance:e{engagement}:{rung}"


def reviews_due(
    expectations: list[Expectation], ladder: list[str], rung: str, today: date
) -> list[Expectation]:
    """The client-review expectations that hold at `rung`: from their rung on (in the
    ladder's order `ladder`), or from their date on."""
    reached = set(ladder[: ladder.index(rung) + 1]) if rung in ladder else {rung}
    return [
        e
        for e in expectations
        if e.source is Source.CLIENT_REVIEW
        and (
            (e.holds_from is not None and e.holds_from in reached)
            or (e.holds_by is not None and e.holds_by <= today)
        )
    ]


def review_range(unit: str) -> tuple[Decimal, Decimal] | None:
    """The range a value in `unit` may take: (0, 5) for "points of 5", (0, 100) for
    "percent"; None for a unit without a scale (minutes, pages)."""
    if _PERCENT.match(unit):
        return Decimal(0), Decimal(100)
    found = _OUT_OF.search(unit)
    return (Decimal(0), Decimal(found.group(1))) if found else None


def parse_review_value(text: str, expectation: Expectation) -> Decimal:
    """The value a reviewer typed, in the expectation's unit: "3.1" or "3.1 points of 5".

    Raises TrialsError for a value that is not a number, one written in another unit, or
    one outside the unit's scale (a 7 on a 1–5 scale), saying what to write instead.
    """
    written = text.strip()
    number, _, unit = written.partition(" ")
    unit = unit.strip()
    where = f"the review of '{expectation.id}' ({expectation.metric}, in {expectation.unit})"
    if unit and unit.casefold() != expectation.unit.strip().casefold():
        raise TrialsError(
            f"{where}: {written!r} is in {unit!r}, but the expectation is measured in "
            f"{expectation.unit!r}. Write the value in {expectation.unit}, e.g. "
            f"{expectation.target}."
        )
    try:
        value = Decimal(number.replace(",", "."))
    except InvalidOperation:
        raise TrialsError(
            f"{where}: {written!r} is not a number. Write the value as a plain number in "
            f"{expectation.unit}, e.g. {expectation.target}."
        ) from None
    if not value.is_finite():
        raise TrialsError(f"{where}: {written!r} is not a value. Write a plain number.")
    scale = review_range(expectation.unit)
    if scale is not None and not scale[0] <= value <= scale[1]:
        raise TrialsError(
            f"{where}: {value} is outside the scale of {expectation.unit} ({scale[0]} to "
            f"{scale[1]}). Write a value on that scale."
        )
    if value != value.quantize(Decimal("0.0001")):
        raise TrialsError(
            f"{where}: {value} has more than 4 decimal places, which the store keeps. "
            f"Write {value.quantize(Decimal('0.0001'))}."
        )
    return value


class ReviewDue(BaseModel):
    """An expectation a person must review at the rung, with what to compare it with."""

    id: str
    metric: str
    description: str | None
    comparator: str
    target: Decimal
    unit: str
    vendor_reported: Decimal | None  # the vendor's own value, if it reported one


class AcceptanceRequest(BaseModel):
    """A delivered rung waiting for client reviews before it is accepted."""

    slug: str
    trial_id: int
    engagement: int
    rung: str
    due: list[ReviewDue]
    reviewed: dict[str, Decimal]  # expectation id -> the value a person recorded
    reviewers: list[str] = []  # who recorded them, in order

    @property
    def gate(self) -> str:
        """The rung's acceptance gate."""
        return acceptance_gate(self.engagement, self.rung)

    @property
    def missing(self) -> list[ReviewDue]:
        """The due reviews nobody has recorded yet."""
        return [d for d in self.due if d.id not in self.reviewed]

    @property
    def rationale(self) -> str:
        """What the gate waits for, in one sentence."""
        names = ", ".join(f"'{d.id}' ({d.unit})" for d in self.missing)
        return (
            f"{self.rung} is delivered; it is accepted once the client reviews {names}: "
            "the vendor's own figures do not stand in for the client's"
        )

    def evidence(self) -> dict[str, object]:
        """What the decision at the gate is recorded with."""
        return {
            "rung": self.rung,
            "reviews_due": [d.id for d in self.due],
            "reviewed": {k: str(v) for k, v in self.reviewed.items()},
        }

    def stand_ins(self) -> dict[str, Decimal] | None:
        """The vendor's own values for the missing reviews, which a policy answer (`--auto`,
        the demo) records as stand-ins, labelled so; None when one is missing."""
        values: dict[str, Decimal] = {}
        for due in self.missing:
            scale = review_range(due.unit)
            said = due.vendor_reported
            if said is None or (scale is not None and not scale[0] <= said <= scale[1]):
                return None  # nothing, or nothing a person could have written: ask one
            values[due.id] = said
        return values

    def check_answer(self, choice: str, value: str | None) -> None:
        """`trials decide` does not answer this gate: the reviews do."""
        raise TrialsError(
            f"{self.gate} is answered by the client's reviews, not a choice: run "
            + "; ".join(
                f"`trials review {self.slug} {d.id} VALUE --by NAME --rung {self.rung}`"
                for d in self.missing
            )
            + f" (VALUE in {', '.join(sorted({d.unit for d in self.missing}))})."
        )
