"""Expectations measured from the vendor's tickets: computed over the rung's window, then
recorded with their evidence (one state write)."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from config import get_settings
from models.context import TrialContext
from models.ticket_readings import ticket_readings
from models.tickets import Ticket
from store.db import write_session
from store.ladder import RungView
from store.tickets import record_ticket_reading, ticket_measurement_key


@task(cache_policy=NO_CACHE)
async def record_tickets(
    trial: TrialContext, rung: RungView, tickets: list[Ticket], window: tuple[datetime, datetime]
) -> int:
    """Each tickets expectation's value over `window`, recorded once per rung; how many."""
    system = trial.plan.redmine
    readings = ticket_readings(
        trial.expectations,
        tickets,
        rung=rung.rung_key,
        window=window,
        calendar=trial.plan.calendar,
        waiting_on_client=frozenset(system.statuses.waiting_on_client if system else []),
    )
    actor = get_settings().actor
    recorded = 0
    with write_session() as session:
        for reading in readings:
            recorded += record_ticket_reading(
                session=session,
                trial_id=trial.trial_id,
                engagement=trial.engagement,
                rung_id=rung.id,
                reading=reading,
                key=ticket_measurement_key(rung.idempotency_key, reading.expectation),
                actor=actor,
            )
    logger = get_run_logger()
    for reading in readings:
        logger.info(
            "%s at %s: %s",
            reading.expectation,
            rung.rung_key,
            reading.evidence.note if reading.evidence else reading.problem,
        )
    return recorded
