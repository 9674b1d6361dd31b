"""Helpdesk expectations measured from ticket histories: the rules, pure.

The engine reads the vendor's ticketing system and computes the service-level (SLA) figures
itself. A measurement covers a window `[start, end)` and reads each history only up to the
window's end, so the same window gives the same answer whenever it is measured.

- **First response time**: from the ticket's opening to the first event by the vendor's
  staff that the requester can see (public) and that says something: a note or a status
  change. Client-side events and private vendor notes never count (ITIL's "first response",
  as helpdesk tools such as Redmine, Zendesk and Jira Service Management measure it).
- **Resolution time**: from the opening to the first event setting a closed status. A
  ticket reopened later keeps its first resolution; the reopening shows in the reopen rate.
- **Paused time**: from an event setting one of the plan's waiting statuses (e.g.
  `Feedback`) to the next status change, the clock stops: the time is the client's, reported
  per ticket and in total as client-paused minutes, and never counted against the vendor.
- Minutes are working minutes of the plan's business calendar, or wall-clock minutes
  without one (`models/calendar.py`).
- **Population**: response and resolution times are measured over the tickets *opened* in
  the window. Each ticket then belongs to exactly one window, and slow tickets are not
  dropped, as they would be by measuring only the tickets resolved in the window.
- **Tickets still waiting at the window's end** stay in the sample with their time so far
  ("N minutes and counting"): a lower bound of their time. The percentile is then a lower
  bound too whenever such a ticket sits at or below its rank (raising it could raise the
  percentile), and says "at least". Against a target such a ticket is a miss once its time
  so far is over the target, and undecided (left out of the share) while it is not.
- **Percentiles** use the nearest-rank method: the p-th percentile of n values is the
  ceil(p/100 * n)-th smallest (Hyndman and Fan 1996, definition 1; the "nearest-rank
  method" in NIST's and most textbooks' terms). It is always one of the measured values.
- **Small samples**: a nearest-rank p-th percentile differs from the largest value only
  when n >= 100 / (100 - p) (10 tickets for a p90, 20 for a p95, 2 for a p50). Below that
  the result is the slowest ticket, and is flagged and worded so.
- **Reopen rate**: among the tickets closed at least once in the window, the percentage
  that changed from a closed status to an open one after that, before the window's end.
- **Backlog**: tickets opened before the window's end and not closed at its end.
  **Throughput**: tickets closed at least once in the window.
- A value is None when there is nothing to measure (no ticket in the population), never 0.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from models.calendar import BusinessCalendar, working_minutes, working_minutes_between
from models.tickets import Side, Ticket, TicketEvent

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


def nearest_rank(values: Sequence[Decimal], percentile: int) -> Decimal:
    """The nearest-rank percentile: the ceil(p/100 * n)-th smallest value (n >= 1)."""
    ordered = sorted(values)
    return ordered[_rank(percentile, len(ordered)) - 1]


def fewest_for_percentile(percentile: int) -> int:
    """The fewest values for which the nearest-rank percentile is not simply the largest."""
    return -(-100 // (100 - percentile))


def _rank(percentile: int, count: int) -> int:
    return max(1, -(-percentile * count // 100))


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
    """Whether it counts in a count metric's value (backlog, throughput, reopened)."""
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


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _num(value: Decimal) -> str:
    rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".removesuffix(".0")


def _history(ticket: Ticket, window_end: datetime) -> tuple[list[TicketEvent], list[str]]:
    """Its events up to the window's end, in time order, none before the opening."""
    events: list[TicketEvent] = []
    notes: list[str] = []
    for event in sorted(ticket.events, key=lambda e: e.at):  # stable: equal times keep order
        if event.at >= window_end:
            break
        if event.at < ticket.opened_at:
            notes.append(
                f"an event by {event.by} at {_when(event.at)} comes before the opening at "
                f"{_when(ticket.opened_at)} (the two systems' clocks differ): counted as at "
                "the opening"
            )
            event = event.model_copy(update={"at": ticket.opened_at})
        events.append(event)
    return events, notes


def _responds(event: TicketEvent) -> bool:
    return event.side == Side.VENDOR and event.public and (event.note or event.status is not None)


def _closes(event: TicketEvent) -> bool:
    return event.closed is True


def _pauses(
    events: list[TicketEvent], waiting: frozenset[str], start: datetime, stop: datetime
) -> list[tuple[str, datetime, datetime]]:
    """The waiting spans within [start, stop]: from a waiting status to the next change."""
    spans: list[tuple[str, datetime, datetime]] = []
    current: tuple[str, datetime] | None = None
    for event in events:
        if event.status is None:
            continue
        if current is not None:
            spans.append((current[0], current[1], event.at))
        current = (event.status, event.at) if event.status in waiting else None
    if current is not None:
        spans.append((current[0], current[1], stop))
    clipped = [(status, max(a, start), min(b, stop)) for status, a, b in spans]
    return [span for span in clipped if span[2] > span[1]]


class _Rules(BaseModel):
    """What one measurement applies to every ticket."""

    metric: TicketMetric
    window_start: datetime
    window_end: datetime
    calendar: BusinessCalendar | None
    waiting: frozenset[str]
    target: Decimal | None
    targets_by_priority: dict[str, Decimal] | None

    def target_minutes(self, priority: str | None) -> Decimal | None:
        """The target for a priority's tickets (the plain target if none), in minutes."""
        chosen = self.target
        if priority is not None and self.targets_by_priority:
            chosen = self.targets_by_priority.get(priority, self.target)
        return None if chosen is None else self.minutes(chosen)

    def minutes(self, value: Decimal) -> Decimal:
        """A value in the metric's unit as minutes."""
        return value * MINUTES_PER_HOUR if self.metric.unit == Unit.HOURS else value

    def in_unit(self, minutes: Decimal) -> Decimal:
        """Minutes in the metric's unit."""
        return minutes / MINUTES_PER_HOUR if self.metric.unit == Unit.HOURS else minutes

    def minute_word(self) -> str:
        """ "working minutes" in a business calendar, else "minutes"."""
        return "minutes" if self.calendar is None else "working minutes"


def _timed(ticket: Ticket, rules: _Rules) -> TicketExplanation:
    """The ticket's clock: from opening to response or resolution, less the pauses."""
    events, notes = _history(ticket, rules.window_end)
    stops = _responds if rules.metric.kind == TicketMetricKind.FIRST_RESPONSE else _closes
    stop_event = next((event for event in events if stops(event)), None)
    stop = rules.window_end if stop_event is None else stop_event.at
    spans = _pauses(events, rules.waiting, ticket.opened_at, stop)
    paused = [
        PausedSpan(status=s, start=a, end=b, minutes=working_minutes(a, b, rules.calendar))
        for s, a, b in spans
    ]
    paused_minutes = working_minutes_between([(a, b) for _, a, b in spans], rules.calendar)
    minutes = working_minutes(ticket.opened_at, stop, rules.calendar) - paused_minutes
    target = rules.target_minutes(ticket.priority)
    within: bool | None = None
    if target is not None and (stop_event is not None or minutes > target):
        within = minutes <= target
    explanation = TicketExplanation(
        id=ticket.id,
        url=ticket.url,
        priority=ticket.priority,
        opened_at=ticket.opened_at,
        stopped_at=None if stop_event is None else stop,
        still_open=stop_event is None,
        minutes=minutes,
        paused=paused,
        client_paused_minutes=paused_minutes,
        target_minutes=target,
        within_target=within,
        notes=notes,
    )
    explanation.sentence = _timed_sentence(explanation, rules)
    return explanation


def _timed_sentence(ticket: TicketExplanation, rules: _Rules) -> str:
    verb = "responded" if rules.metric.kind == TicketMetricKind.FIRST_RESPONSE else "resolved"
    word = rules.minute_word()
    parts = [f"#{ticket.id} ({ticket.priority}) opened {_when(ticket.opened_at)}", *ticket.notes]
    parts += [
        f"waiting on the client ({span.status}) from {_when(span.start)} to "
        f"{_when(span.end)}: {_num(span.minutes)} {word} paused, the client's"
        for span in ticket.paused
    ]
    minutes = _num(ticket.minutes or Decimal(0))
    if ticket.stopped_at is None:
        parts.append(f"not {verb} by the window's end: {minutes} {word} and counting")
    else:
        parts.append(f"{verb} {_when(ticket.stopped_at)}: {minutes} {word} counted")
    if ticket.target_minutes is not None:
        target = f"the {_num(ticket.target_minutes)}-minute target"
        verdict = {True: "within ", False: "over ", None: "not yet over "}[ticket.within_target]
        parts.append(verdict + target + (": undecided" if ticket.within_target is None else ""))
    return "; ".join(parts)


def _percentile(
    explained: list[TicketExplanation], rules: _Rules, target: Decimal | None
) -> PercentileResult:
    """The nearest-rank percentile of the tickets' minutes, and their share within target."""
    percentile = rules.metric.percentile or 50
    ordered = sorted(explained, key=lambda t: (t.minutes, t.still_open))
    judged = [t for t in explained if t.within_target is not None]
    within = sum(1 for t in judged if t.within_target)
    result = PercentileResult(
        value=None,
        sample_size=len(ordered),
        small_sample=len(ordered) < fewest_for_percentile(percentile),
        lower_bound=False,
        still_open=sum(1 for t in ordered if t.still_open),
        target=target,
        within_target=within,
        judged=len(judged),
        within_target_share=Decimal(within) / Decimal(len(judged)) if judged else None,
    )
    if ordered:
        rank = _rank(percentile, len(ordered))
        result.value = rules.in_unit(ordered[rank - 1].minutes or Decimal(0))
        result.lower_bound = any(t.still_open for t in ordered[:rank])
    return result


def _timed_measurement_sentence(result: PercentileResult, rules: _Rules) -> str:
    percentile = rules.metric.percentile
    what = rules.metric.kind.value.replace("_", " ")
    if result.value is None:
        return f"no tickets opened in the window: no p{percentile} {what} time to measure"
    plural = "" if result.sample_size == 1 else "s"
    head = f"p{percentile} {what} time of {result.sample_size} ticket{plural}"
    if result.small_sample:
        head += f" (too few for a p{percentile}: the slowest shown)"
    word = rules.metric.unit.value if rules.calendar is None else f"working {rules.metric.unit}"
    parts = [f"{head}: {'at least ' if result.lower_bound else ''}{_num(result.value)} {word}"]
    if result.still_open:
        parts.append(
            f"{result.still_open} still open at the window's end, counted with their time so far"
        )
    if result.within_target_share is not None:
        share = _num(result.within_target_share * 100)
        parts.append(f"{result.within_target} of {result.judged} within target ({share}%)")
    return "; ".join(parts)


def _measure_timed(tickets: list[Ticket], rules: _Rules) -> TicketMeasurement:
    population = [t for t in tickets if rules.window_start <= t.opened_at < rules.window_end]
    explained = [_timed(ticket, rules) for ticket in population]
    overall = _percentile(explained, rules, rules.target)
    by_priority: list[PriorityResult] = []
    if rules.targets_by_priority is not None:
        for priority in sorted({t.priority for t in explained}):
            target = rules.targets_by_priority.get(priority, rules.target)
            same = [t for t in explained if t.priority == priority]
            result = _percentile(same, rules, target)
            by_priority.append(PriorityResult(priority=priority, **result.model_dump()))
    return TicketMeasurement(
        **overall.model_dump(),
        metric=rules.metric,
        unit=rules.metric.unit,
        percentile=rules.metric.percentile,
        window_start=rules.window_start,
        window_end=rules.window_end,
        working_time=rules.calendar is not None,
        sentence=_timed_measurement_sentence(overall, rules),
        client_paused_minutes=sum((t.client_paused_minutes for t in explained), Decimal(0)),
        ticket_ids=[t.id for t in explained],
        by_priority=by_priority,
        tickets=explained,
    )


def _closings(
    events: list[TicketEvent], window_start: datetime
) -> tuple[datetime | None, datetime | None, bool]:
    """Its first closing in the window, its first reopening after that, and closed at the end."""
    closed = False
    first_close: datetime | None = None
    reopened: datetime | None = None
    for event in events:
        if event.status is None:
            continue
        if event.closed is True and first_close is None and event.at >= window_start:
            first_close = event.at
        elif event.closed is not True and closed and first_close is not None:
            reopened = reopened or event.at
        closed = event.closed is True
    return first_close, reopened, closed


def _counted(ticket: Ticket, rules: _Rules) -> TicketExplanation:
    """Whether the ticket counts in the backlog, the throughput or the reopened tickets."""
    events, notes = _history(ticket, rules.window_end)
    first_close, reopened, closed = _closings(events, rules.window_start)
    kind = rules.metric.kind
    counted = {
        TicketMetricKind.BACKLOG: not closed,
        TicketMetricKind.RESOLVED: first_close is not None,
        TicketMetricKind.REOPENED: reopened is not None,
    }[kind]
    parts = [f"#{ticket.id} ({ticket.priority}) opened {_when(ticket.opened_at)}", *notes]
    if first_close is not None:
        parts.append(f"closed in the window at {_when(first_close)}")
    if reopened is not None:
        parts.append(f"reopened at {_when(reopened)}")
    parts.append("closed at the window's end" if closed else "open at the window's end")
    parts.append("counted" if counted else "not counted")
    return TicketExplanation(
        id=ticket.id,
        url=ticket.url,
        priority=ticket.priority,
        opened_at=ticket.opened_at,
        stopped_at=first_close,
        still_open=not closed,
        counted=counted,
        reopened_at=reopened,
        notes=notes,
        sentence="; ".join(parts),
    )


def _measure_counts(tickets: list[Ticket], rules: _Rules) -> TicketMeasurement:
    explained = [_counted(t, rules) for t in tickets if t.opened_at < rules.window_end]
    kind = rules.metric.kind
    if kind == TicketMetricKind.REOPENED:
        explained = [t for t in explained if t.stopped_at is not None]
    counted = sum(1 for t in explained if t.counted)
    value: Decimal | None = Decimal(counted) if explained else None
    described = {
        TicketMetricKind.BACKLOG: f"{counted} tickets open at the window's end",
        TicketMetricKind.RESOLVED: f"{counted} tickets closed in the window",
        TicketMetricKind.REOPENED: f"{counted} of {len(explained)} tickets closed in the "
        "window reopened",
    }[kind]
    if kind == TicketMetricKind.REOPENED and explained:
        value = Decimal(100) * counted / Decimal(len(explained))
        described += f" ({_num(value)}%)"
    if value is None:
        described = "no tickets in the window: nothing to measure"
    return TicketMeasurement(
        value=value,
        sample_size=len(explained),
        small_sample=False,
        lower_bound=False,
        still_open=0,
        metric=rules.metric,
        unit=rules.metric.unit,
        percentile=None,
        window_start=rules.window_start,
        window_end=rules.window_end,
        working_time=False,
        sentence=described,
        client_paused_minutes=None,
        ticket_ids=[t.id for t in explained],
        tickets=explained,
    )


def measure(
    metric: TicketMetric,
    tickets: Sequence[Ticket],
    *,
    window_start: datetime,
    window_end: datetime,
    calendar: BusinessCalendar | None = None,
    waiting_statuses: frozenset[str] = frozenset(),
    target: Decimal | None = None,
    targets_by_priority: dict[str, Decimal] | None = None,
) -> TicketMeasurement:
    """A ticket metric over the window [window_start, window_end), ticket by ticket.

    Targets are in the metric's unit (minutes or hours) and apply to the time metrics; a
    ticket whose priority has no entry in `targets_by_priority` is judged against `target`.
    The result does not depend on the order of `tickets`. ValueError for an empty or
    naive window, or a ticket id given twice.
    """
    if window_start.tzinfo is None or window_end.tzinfo is None:
        raise ValueError("the window's start and end need a time zone: give them in UTC")
    if window_end <= window_start:
        raise ValueError(
            f"the window {_when(window_start)} to {_when(window_end)} is empty: "
            "its end must come after its start"
        )
    twice = sorted(i for i, n in Counter(t.id for t in tickets).items() if n > 1)
    if twice:
        raise ValueError(f"ticket {', '.join(twice)} given more than once: give each ticket once")
    rules = _Rules(
        metric=metric,
        window_start=window_start,
        window_end=window_end,
        calendar=calendar,
        waiting=waiting_statuses,
        target=target,
        targets_by_priority=targets_by_priority,
    )
    ordered = sorted(tickets, key=lambda t: (t.opened_at, t.id))
    return _measure_timed(ordered, rules) if metric.timed else _measure_counts(ordered, rules)
