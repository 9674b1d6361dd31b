"""What a ticket metric's name means, and the shape of what measuring it returns.

The rules that fill these in are in `models/ticket_clock.py` (one ticket) and
`models/ticket_metrics.py` (a window's population).
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

PERCENTILE_NAME = re.compile(r"^p([1-9][0-9]?)_(first_response|resolution)_(minutes|hours)$")
ACCEPTED = (
    "p{N}_first_response_minutes, p{N}_first_response_hours, p{N}_resolution_minutes, "
    "p{N}_resolution_hours (N a whole number from 1 to 99, e.g. p90_first_response_hours), "
    "reopened_tickets_percent, backlog_tickets, resolved_tickets"
)
MINUTES_PER_HOUR = Decimal(60)


class TicketMetricKind(StrEnum):
    """What a ticket metric measures."""

    FIRST_RESPONSE = "first_response"
    RESOLUTION = "resolution"
    REOPENED = "reopened"
    BACKLOG = "backlog"
    RESOLVED = "resolved"


class Unit(StrEnum):
    """The unit of a measured value."""

    MINUTES = "minutes"
    HOURS = "hours"
    PERCENT = "percent"
    TICKETS = "tickets"


COUNT_METRICS = {
    "reopened_tickets_percent": (TicketMetricKind.REOPENED, Unit.PERCENT),
    "backlog_tickets": (TicketMetricKind.BACKLOG, Unit.TICKETS),
    "resolved_tickets": (TicketMetricKind.RESOLVED, Unit.TICKETS),
}


class TicketMetric(BaseModel):
    """An expectation's metric with `source: tickets`, as its name says."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: TicketMetricKind
    unit: Unit
    percentile: int | None = None
    """1 to 99 for the time metrics; None for the counts."""

    @property
    def timed(self) -> bool:
        """Whether it measures a time per ticket (first response or resolution)."""
        return self.percentile is not None


def ticket_metric(name: str) -> TicketMetric:
    """The metric a name stands for; ValueError listing the accepted forms for another."""
    text = name.strip()
    if text in COUNT_METRICS:
        kind, unit = COUNT_METRICS[text]
        return TicketMetric(name=text, kind=kind, unit=unit)
    match = PERCENTILE_NAME.match(text)
    if match is None:
        raise ValueError(f"unknown ticket metric {name!r}: use one of {ACCEPTED}")
    kind = TicketMetricKind(match[2])
    return TicketMetric(name=text, kind=kind, unit=Unit(match[3]), percentile=int(match[1]))


class PausedSpan(BaseModel):
    """A span in a waiting status: the client's time, not the vendor's."""

    status: str
    start: datetime
    end: datetime
    minutes: Decimal
    """Working minutes (wall-clock without a calendar) of the span."""


class TicketExplanation(BaseModel):
    """How one ticket of the population was counted, in fields and in a sentence."""

    id: str
    url: str
    priority: str
    opened_at: datetime
    stopped_at: datetime | None = None
    """When the clock stopped: responded, resolved, or closed; None if it had not."""
    stopped_how: str | None = None
    """What stopped it, in words: "responded", "resolved", or "closed by LOGIN before any
    response" (a ticket closed unanswered counts its wait up to the closing)."""
    still_open: bool = False
    """The clock was still running at the window's end: minutes are "so far"."""
    minutes: Decimal | None = None
    """Minutes counted against the vendor (time metrics)."""
    paused: list[PausedSpan] = []
    client_paused_minutes: Decimal = Decimal(0)
    target_minutes: Decimal | None = None
    within_target: bool | None = None
    """None without a target, or while still open and not yet over it."""
    counted: bool = True
    """Whether it counts: in a time metric's sample (a ticket created closed has no time to
    measure), or in a count metric's value (backlog, throughput, reopened)."""
    reopened_at: datetime | None = None
    notes: list[str] = []
    """Oddities in its history, e.g. clock skew between the ticketing system and us."""
    sentence: str = ""


class PercentileResult(BaseModel):
    """A percentile over a sample of tickets, with what can honestly be said of it."""

    value: Decimal | None
    """In the metric's unit; None for an empty sample."""
    sample_size: int
    small_sample: bool
    lower_bound: bool
    """A ticket still open at the window's end may raise it: the value is "at least"."""
    still_open: int
    target: Decimal | None = None
    within_target: int = 0
    judged: int = 0
    """Tickets judged against the target: stopped ones, and open ones already over it."""
    within_target_share: Decimal | None = None
    """within_target / judged, a fraction from 0 to 1; None when none was judged."""


class PriorityResult(PercentileResult):
    """The percentile of one priority's tickets, against that priority's target."""

    priority: str


class TicketMeasurement(PercentileResult):
    """A ticket metric measured over a window, with each ticket's explanation."""

    metric: TicketMetric
    unit: Unit
    percentile: int | None
    window_start: datetime
    window_end: datetime
    working_time: bool
    """Minutes are working minutes of a business calendar (False: wall-clock minutes)."""
    sentence: str
    client_paused_minutes: Decimal | None
    """Total minutes paused in a waiting status, the client's; None for the counts."""
    ticket_ids: list[str]
    by_priority: list[PriorityResult] = []
    tickets: list[TicketExplanation]
