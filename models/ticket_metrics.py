"""Helpdesk expectations measured from ticket histories: the rules, pure.

The engine reads the vendor's ticketing system and computes the service-level (SLA) figures
itself. A measurement covers a window `[start, end)` and reads each history only up to the
window's end, so the same window gives the same answer whenever it is measured.

- **First response time**: from the ticket's opening to the first event by the vendor's
  staff that the requester can see (public) and that says something: a note or a status
  change. Client-side events and private vendor notes never count (ITIL's "first response",
  as helpdesk tools such as Redmine, Zendesk and Jira Service Management measure it).
  A ticket closed before any response (the requester gave up, or solved it) stops the
  clock at its closing: the wait the requester had is counted, never hidden.
- **Resolution time**: from the opening to the first event setting a closed status. A
  ticket reopened later keeps its first resolution; the reopening shows in the reopen rate.
- **The status a ticket was created in** counts from its opening: created in a waiting
  status, it is paused from the start; created closed (logged after the fact), it has no
  time to measure and is left out of the time metrics (said so), while it counts as
  closed in the throughput and never in the backlog.
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

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from models.calendar import BusinessCalendar
from models.percentile import fewest_for_percentile, nearest_rank, rank
from models.ticket_clock import Rules, explain_count, explain_timed, number_text, when_text
from models.ticket_results import (
    ACCEPTED,
    PercentileResult,
    PriorityResult,
    TicketExplanation,
    TicketMeasurement,
    TicketMetric,
    TicketMetricKind,
    Unit,
    ticket_metric,
)
from models.tickets import Ticket

__all__ = [
    "ACCEPTED",
    "TicketMeasurement",
    "TicketMetric",
    "TicketMetricKind",
    "Unit",
    "fewest_for_percentile",
    "measure",
    "nearest_rank",
    "ticket_metric",
]


def _percentile(
    explained: list[TicketExplanation], rules: Rules, target: Decimal | None
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
        at = rank(percentile, len(ordered))
        result.value = rules.in_unit(ordered[at - 1].minutes or Decimal(0))
        result.lower_bound = any(t.still_open for t in ordered[:at])
    return result


def _timed_measurement_sentence(result: PercentileResult, rules: Rules, left_out: int) -> str:
    percentile = rules.metric.percentile
    what = rules.metric.kind.value.replace("_", " ")
    created_closed = (
        f"{left_out} ticket{'' if left_out == 1 else 's'} created closed left out (no time "
        "to measure)"
    )
    if result.value is None:
        if left_out:
            return f"no p{percentile} {what} time to measure: {created_closed}"
        return f"no tickets opened in the window: no p{percentile} {what} time to measure"
    plural = "" if result.sample_size == 1 else "s"
    head = f"p{percentile} {what} time of {result.sample_size} ticket{plural}"
    if result.small_sample:
        head += f" (too few for a p{percentile}: the slowest shown)"
    word = rules.metric.unit.value if rules.calendar is None else f"working {rules.metric.unit}"
    parts = [
        f"{head}: {'at least ' if result.lower_bound else ''}{number_text(result.value)} {word}"
    ]
    if result.still_open:
        parts.append(
            f"{result.still_open} still open at the window's end, counted with their time so far"
        )
    if result.within_target_share is not None:
        share = number_text(result.within_target_share * 100)
        parts.append(f"{result.within_target} of {result.judged} within target ({share}%)")
    if left_out:
        parts.append(created_closed)
    return "; ".join(parts)


def _paused_clause(sample: list[TicketExplanation], rules: Rules) -> str:
    """ "; N minutes waiting on the client (M tickets), not counted", or "" if none waited."""
    waited = [t for t in sample if t.client_paused_minutes > 0]
    if not waited:
        return ""
    total = sum((t.client_paused_minutes for t in waited), Decimal(0))
    plural = "" if len(waited) == 1 else "s"
    return (
        f"; {number_text(total)} {rules.minute_word()} waiting on the client ({len(waited)} "
        f"ticket{plural}), the client's, not counted against the vendor"
    )


def _measureclock(tickets: list[Ticket], rules: Rules) -> TicketMeasurement:
    population = [t for t in tickets if rules.window_start <= t.opened_at < rules.window_end]
    explained = [explain_timed(ticket, rules) for ticket in population]
    sample = [t for t in explained if t.counted]
    overall = _percentile(sample, rules, rules.target)
    by_priority: list[PriorityResult] = []
    if rules.targets_by_priority is not None:
        for priority in sorted({t.priority for t in sample}):
            target = rules.targets_by_priority.get(priority, rules.target)
            same = [t for t in sample if t.priority == priority]
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
        sentence=_timed_measurement_sentence(overall, rules, len(explained) - len(sample))
        + _paused_clause(sample, rules),
        client_paused_minutes=sum((t.client_paused_minutes for t in sample), Decimal(0)),
        ticket_ids=[t.id for t in sample],
        by_priority=by_priority,
        tickets=explained,
    )


def _measure_counts(tickets: list[Ticket], rules: Rules) -> TicketMeasurement:
    explained = [explain_count(t, rules) for t in tickets if t.opened_at < rules.window_end]
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
        described += f" ({number_text(value)}%)"
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
            f"the window {when_text(window_start)} to {when_text(window_end)} is empty: "
            "its end must come after its start"
        )
    twice = sorted(i for i, n in Counter(t.id for t in tickets).items() if n > 1)
    if twice:
        raise ValueError(f"ticket {', '.join(twice)} given more than once: give each ticket once")
    rules = Rules(
        metric=metric,
        window_start=window_start,
        window_end=window_end,
        calendar=calendar,
        waiting=waiting_statuses,
        target=target,
        targets_by_priority=targets_by_priority,
    )
    ordered = sorted(tickets, key=lambda t: (t.opened_at, t.id))
    return _measureclock(ordered, rules) if metric.timed else _measure_counts(ordered, rules)
