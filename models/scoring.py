"""The weighted scorecard: which expectations are due, measured, and met."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from models.evidence import DEFAULT_TOLERANCE, LABELS, Evidence, Measured, disagrees
from models.plan import Comparator, Expectation, Source

_COMPARE: dict[Comparator, Callable[[Decimal, Decimal], bool]] = {
    Comparator.LE: operator.le,
    Comparator.LT: operator.lt,
    Comparator.GE: operator.ge,
    Comparator.GT: operator.gt,
    Comparator.EQ: operator.eq,
}


def meets(value: Decimal, comparator: Comparator, target: Decimal) -> bool:
    """Whether a measured value meets its target."""
    return _COMPARE[comparator](value, target)


class ScoreLine(BaseModel):
    """One expectation on the scorecard, with where its value came from."""

    id: str
    metric: str
    comparator: Comparator
    target: Decimal
    unit: str
    weight: Decimal
    due: bool
    measured: Decimal | None  # from the source the plan names
    met: bool | None  # None while not due or not measured yet
    source: Source = Source.VENDOR_METRICS  # the source the plan names
    evidence: Evidence | None = None  # of `measured`
    vendor_reported: Decimal | None = None  # the vendor's own value, when it is not `measured`
    disagrees: bool = False  # the vendor's value is off the independent one beyond tolerance

    @property
    def provenance(self) -> str:
        """Where the value came from, as people read it: "client review by Dana Reyes"."""
        if self.evidence is None:
            return f"not measured yet ({LABELS[self.source]})"
        return self.evidence.label

    @property
    def independent(self) -> bool:
        """Whether the value comes from somebody other than the vendor."""
        return self.evidence is not None and self.evidence.independent


class Scorecard(BaseModel):
    """Every expectation, and the weighted share of the due ones that are met."""

    lines: list[ScoreLine]

    @property
    def due(self) -> list[ScoreLine]:
        """The lines whose expectation must hold by now."""
        return [line for line in self.lines if line.due]

    @property
    def score(self) -> Decimal | None:
        """Met weight over due weight; None when nothing is due yet. Unmeasured counts as missed."""
        due = self.due
        if not due:
            return None
        met = sum((line.weight for line in due if line.met), Decimal(0))
        return (met / sum((line.weight for line in due), Decimal(0))).quantize(Decimal("0.001"))

    @property
    def disagreements(self) -> list[ScoreLine]:
        """Lines whose vendor-reported value disagrees with the independent one."""
        return [line for line in self.lines if line.disagrees]

    @property
    def missed(self) -> list[ScoreLine]:
        """Due expectations not met (or never measured)."""
        return [line for line in self.due if not line.met]


def is_due(expectation: Expectation, rungs_done: list[str], today: date) -> bool:
    """Due once its rung is done, or once its date has come."""
    if expectation.holds_from is not None:
        return expectation.holds_from in rungs_done
    return expectation.holds_by is not None and expectation.holds_by <= today


def scorecard(
    expectations: list[Expectation],
    readings: dict[str, list[Measured]],
    rungs_done: list[str],
    today: date,
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> Scorecard:
    """The scorecard, given the readings of each metric (oldest first, any source).

    Each expectation is scored on the latest value from the source its plan names; the
    vendor's own latest value is kept beside an independent one and flagged when they
    differ by more than `tolerance` (models.evidence.disagrees). A due expectation with no
    value from its source counts as missed: the vendor's word does not stand in for a
    client review or a file count.
    """
    lines = []
    for e in expectations:
        due = is_due(e, rungs_done, today)
        found = readings.get(e.metric, [])
        own = [m for m in found if m.evidence.source is e.source]
        chosen = own[-1] if own else None
        vendor = [m for m in found if m.evidence.source is Source.VENDOR_METRICS]
        said = vendor[-1].value if vendor and e.source is not Source.VENDOR_METRICS else None
        value = None if chosen is None else chosen.value
        met = None if not due or value is None else meets(value, e.comparator, e.target)
        if due and value is None:
            met = False
        lines.append(
            ScoreLine(
                id=e.id,
                metric=e.metric,
                comparator=e.comparator,
                target=e.target,
                unit=e.unit,
                weight=e.weight,
                due=due,
                measured=value,
                met=met,
                source=e.source,
                evidence=None if chosen is None else chosen.evidence,
                vendor_reported=said,
                disagrees=(
                    said is not None
                    and value is not None
                    and chosen is not None
                    and chosen.evidence.independent
                    and disagrees(said, value, e.target, tolerance)
                ),
            )
        )
    return Scorecard(lines=lines)
