"""The weighted scorecard: which expectations are due, measured, and met."""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from models.plan import Comparator, Expectation

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
    """One expectation on the scorecard."""

    id: str
    metric: str
    comparator: Comparator
    target: Decimal
    unit: str
    weight: Decimal
    due: bool
    measured: Decimal | None
    met: bool | None  # None while not due or not measured yet


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
    measured: dict[str, Decimal],
    rungs_done: list[str],
    today: date,
) -> Scorecard:
    """The scorecard, given the latest measured value of each metric."""
    lines = []
    for e in expectations:
        due = is_due(e, rungs_done, today)
        value = measured.get(e.metric)
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
            )
        )
    return Scorecard(lines=lines)
