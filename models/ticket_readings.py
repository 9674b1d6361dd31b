"""The plan's expectations measured from tickets over a rung's window, each value with
its evidence: the tickets behind it, what each contributed, and the window."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

from models.calendar import BusinessCalendar
from models.evidence import Evidence, TicketEvidence
from models.plan import Expectation, Source
from models.ticket_metrics import measure, ticket_metric
from models.tickets import Ticket

PRODUCED_BY = "the engine, from the vendor's tickets"
STORED_PLACES = Decimal("0.0001")  # a measured value is kept to 4 places (models.tables)


class TicketReading(BaseModel):
    """One expectation's value from tickets, or why there is none."""

    expectation: str
    value: Decimal | None
    evidence: Evidence | None = None
    problem: str = ""


def uses_tickets(expectations: list[Expectation]) -> bool:
    """Whether any expectation is measured from tickets (so the tickets are worth reading)."""
    return any(e.source is Source.TICKETS for e in expectations)


def ticket_readings(
    expectations: list[Expectation],
    tickets: list[Ticket],
    *,
    rung: str,
    window: tuple[datetime, datetime],
    calendar: BusinessCalendar | None,
    waiting_on_client: frozenset[str],
) -> list[TicketReading]:
    """Each tickets expectation measured over `window` (the rung's submission to its
    delivery): the tickets opened in it, by the rules of `models.ticket_metrics`."""
    readings = []
    for exp in expectations:
        if exp.source is not Source.TICKETS:
            continue
        try:
            found = measure(
                ticket_metric(exp.metric),
                tickets,
                window_start=window[0],
                window_end=window[1],
                calendar=calendar,
                waiting_statuses=waiting_on_client,
                target=exp.target,
                targets_by_priority=exp.targets_by_priority,
            )
        except ValueError as exc:  # an empty window, a ticket listed twice: said, not raised
            readings.append(TicketReading(expectation=exp.id, value=None, problem=str(exc)))
            continue
        if found.value is None:
            readings.append(TicketReading(expectation=exp.id, value=None, problem=found.sentence))
            continue
        evidence = Evidence(
            source=Source.TICKETS,
            produced_by=PRODUCED_BY,
            at=window[1],
            rung=rung,
            note=found.sentence,
            tickets=[
                TicketEvidence(
                    id=t.id,
                    url=t.url,
                    minutes=t.minutes,
                    client_paused_minutes=t.client_paused_minutes,
                    still_open=t.still_open,
                )
                for t in found.tickets
                if t.counted  # a count metric's evidence is the tickets it counted
            ],
        )
        value = found.value.quantize(STORED_PLACES, ROUND_HALF_UP)
        readings.append(TicketReading(expectation=exp.id, value=value, evidence=evidence))
    return readings
