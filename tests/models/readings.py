"""Measured values as the scorecard reads them, for tests of the pure rules."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from models.evidence import Evidence, Measured
from models.plan import Source

AT = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def reading(
    value: Decimal, source: Source = Source.VENDOR_METRICS, by: str = "vendor Acme"
) -> Measured:
    """One measured value from `source`."""
    return Measured(value=value, evidence=Evidence(source=source, produced_by=by, at=AT))


def vendor_readings(values: dict[str, Decimal]) -> dict[str, list[Measured]]:
    """The vendor's own value of each metric, as its metrics endpoint reports them."""
    return {metric: [reading(value)] for metric, value in values.items()}
