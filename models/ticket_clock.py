"""One ticket under a measurement's rules: its clock (opening to response or resolution,
less the client's pauses) or whether it counts, each with a sentence saying why.

The rules themselves are stated in `models/ticket_metrics.py`, which measures a window's
population with these.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

from models.calendar import BusinessCalendar, working_minutes, working_minutes_between
from models.ticket_results import (
    MINUTES_PER_HOUR,
    PausedSpan,
    TicketExplanation,
    TicketMetric,
    TicketMetricKind,
    Unit,
)
from models.tickets import Side, Ticket, TicketEvent


def when_text(at: datetime) -> str:
    """A time as sentences give it: "2026-03-04 09:00 UTC"."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def number_text(value: Decimal) -> str:
    """A number of minutes, hours or percent to one place, without a trailing ".0"."""
    rounded = value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{rounded:f}".removesuffix(".0")


def _history(ticket: Ticket, window_end: datetime) -> tuple[list[TicketEvent], list[str]]:
    """Its events up to the window's end, in time order, none before the opening; first, when
    the system says which status it was created in, that status set at the opening (never a
    response: nobody answered by creating the ticket)."""
    events: list[TicketEvent] = []
    notes: list[str] = []
    if ticket.opened_status is not None:
        events.append(
            TicketEvent(
                at=ticket.opened_at,
                by=ticket.opened_by,
                side=Side.CLIENT,
                note=False,
                public=True,
                status=ticket.opened_status,
                closed=ticket.opened_closed,
            )
        )
        if ticket.opened_closed:
            notes.append(f"created closed ({ticket.opened_status}), logged after the fact")
    for event in sorted(ticket.events, key=lambda e: e.at):  # stable: equal times keep order
        if event.at >= window_end:
            break
        if event.at < ticket.opened_at:
            notes.append(
                f"an event by {event.by} at {when_text(event.at)} comes before the opening at "
                f"{when_text(ticket.opened_at)} (the two systems' clocks differ): counted as at "
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


class Rules(BaseModel):
    """What one measurement applies to every ticket: the metric, the window, the calendar,
    the waiting statuses and the targets (in the metric's unit)."""

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


def explain_timed(ticket: Ticket, rules: Rules) -> TicketExplanation:
    """The ticket's clock: from opening to response (or a closing before any response) or
    to resolution, less the pauses. A ticket created closed has no clock: not counted."""
    events, notes = _history(ticket, rules.window_end)
    if ticket.opened_closed:
        head = f"#{ticket.id} ({ticket.priority}) opened {when_text(ticket.opened_at)}"
        return TicketExplanation(
            id=ticket.id,
            url=ticket.url,
            priority=ticket.priority,
            opened_at=ticket.opened_at,
            counted=False,
            notes=notes,
            sentence="; ".join([head, *notes, "no time to measure: not counted"]),
        )
    responds = rules.metric.kind == TicketMetricKind.FIRST_RESPONSE
    stop_event = next(
        (e for e in events if _closes(e) or (responds and _responds(e))),
        None,
    )
    stop = rules.window_end if stop_event is None else stop_event.at
    how = "responded" if responds else "resolved"
    if responds and stop_event is not None and not _responds(stop_event):
        how = f"closed by {stop_event.by} before any response"
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
        stopped_how=None if stop_event is None else how,
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


def _timed_sentence(ticket: TicketExplanation, rules: Rules) -> str:
    verb = "responded" if rules.metric.kind == TicketMetricKind.FIRST_RESPONSE else "resolved"
    word = rules.minute_word()
    parts = [
        f"#{ticket.id} ({ticket.priority}) opened {when_text(ticket.opened_at)}",
        *ticket.notes,
    ]
    parts += [
        f"waiting on the client ({span.status}) from {when_text(span.start)} to "
        f"{when_text(span.end)}: {number_text(span.minutes)} {word} paused, the client's"
        for span in ticket.paused
    ]
    minutes = number_text(ticket.minutes or Decimal(0))
    if ticket.stopped_at is None:
        parts.append(f"not {verb} by the window's end: {minutes} {word} and counting")
    else:
        how = ticket.stopped_how or verb
        parts.append(f"{how} {when_text(ticket.stopped_at)}: {minutes} {word} counted")
    if ticket.target_minutes is not None:
        target = f"the {number_text(ticket.target_minutes)}-minute target"
        verdict = {True: "within ", False: "over ", None: "not yet over "}[ticket.within_target]
        parts.append(verdict + target + (": undecided" if ticket.within_target is None else ""))
    return "; ".join(parts)


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


def explain_count(ticket: Ticket, rules: Rules) -> TicketExplanation:
    """Whether the ticket counts in the backlog, the throughput or the reopened tickets."""
    events, notes = _history(ticket, rules.window_end)
    first_close, reopened, closed = _closings(events, rules.window_start)
    kind = rules.metric.kind
    counted = {
        TicketMetricKind.BACKLOG: not closed,
        TicketMetricKind.RESOLVED: first_close is not None,
        TicketMetricKind.REOPENED: reopened is not None,
    }[kind]
    parts = [f"#{ticket.id} ({ticket.priority}) opened {when_text(ticket.opened_at)}", *notes]
    if first_close is not None:
        parts.append(f"closed in the window at {when_text(first_close)}")
    if reopened is not None:
        parts.append(f"reopened at {when_text(reopened)}")
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
