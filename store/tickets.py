"""Values measured from tickets in the store: one measurement per expectation and rung,
with the tickets as evidence, or the reason there is none in the audit log."""

from __future__ import annotations

from sqlmodel import Session, select

from models.plan import Source
from models.tables import Expectation, Measurement, PilotTask
from models.ticket_readings import TicketReading
from store.deliverables import note_problem, problem_prefix


def ticket_measurement_key(rung: str, expectation: str) -> str:
    """The idempotency key of an expectation's value from tickets at a rung."""
    return f"{rung}:tickets:{expectation}"


def record_ticket_reading(
    *,
    session: Session,
    trial_id: int,
    engagement: int,
    rung_id: int,
    reading: TicketReading,
    key: str,
    actor: str,
) -> bool:
    """Record the value once per key, or its problem once in the audit log; True when a
    value was recorded now."""
    if session.exec(select(Measurement.id).where(Measurement.idempotency_key == key)).first():
        return False
    rung = session.get_one(PilotTask, rung_id)
    if reading.value is None or reading.evidence is None:
        note_problem(
            session,
            trial_id,
            actor,
            problem_prefix(reading.expectation, rung.rung_key) + reading.problem,
        )
        return False
    expectation = session.exec(
        select(Expectation).where(
            Expectation.trial_id == trial_id,
            Expectation.engagement == engagement,
            Expectation.key == reading.expectation,
        )
    ).one()
    session.add(
        Measurement(
            trial_id=trial_id,
            expectation_id=expectation.id or 0,
            pilot_task_id=rung_id,
            value=reading.value,
            source=Source.TICKETS,
            produced_by=reading.evidence.produced_by,
            evidence_json=reading.evidence.model_dump_json(),
            idempotency_key=key,
            measured_at=reading.evidence.at,
        )
    )
    return True
