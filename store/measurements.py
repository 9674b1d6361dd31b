"""Measured values with their evidence, as the scorecard reads them."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.evidence import Evidence, Measured
from models.plan import Source
from models.tables import Expectation, Measurement


def readings(*, session: Session, trial_id: int, engagement: int) -> dict[str, list[Measured]]:
    """Every measured value of the engagement's expectations with its evidence, by metric,
    oldest first (the scorecard takes the latest from each expectation's source)."""
    rows = session.exec(
        select(Expectation.metric, Measurement)
        .join(Expectation, col(Expectation.id) == col(Measurement.expectation_id))
        .where(Measurement.trial_id == trial_id, Expectation.engagement == engagement)
        .order_by(col(Measurement.measured_at), col(Measurement.id))
    ).all()
    found: dict[str, list[Measured]] = {}
    for metric, row in rows:
        found.setdefault(metric, []).append(Measured(value=row.value, evidence=evidence_of(row)))
    return found


def evidence_of(row: Measurement) -> Evidence:
    """A measurement's evidence; for one recorded before provenance, what the row says."""
    if row.evidence_json not in ("", "{}"):
        return Evidence.model_validate_json(row.evidence_json)
    return Evidence(
        source=Source(row.source), produced_by=row.produced_by or "the vendor", at=row.measured_at
    )
