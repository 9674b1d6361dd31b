"""Helpdesk metrics from ticket histories, checked against answers worked out by hand."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from models.calendar import BusinessCalendar
from models.ticket_metrics import (
    TicketMeasurement,
    TicketMetricKind,
    Unit,
    fewest_for_percentile,
    measure,
    nearest_rank,
    ticket_metric,
)
from models.tickets import Side, Ticket, TicketEvent

START = datetime(2024, 3, 4, tzinfo=UTC)  # a Monday
END = START + timedelta(days=7)
OFFICE = BusinessCalendar(time_zone="UTC", hours="09:00-17:00")
WAITING = frozenset({"Feedback"})


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2024, UTC (the 4th is a Monday)."""
    return datetime(2024, 3, day, hour, minute, tzinfo=UTC)


def vendor(when: datetime, *, note: bool = True, public: bool = True, **kw: object) -> TicketEvent:
    return TicketEvent.model_validate(
        {"at": when, "by": "agent", "side": Side.VENDOR, "note": note, "public": public, **kw}
    )


def client(when: datetime, *, note: bool = True, **kw: object) -> TicketEvent:
    return TicketEvent.model_validate(
        {"at": when, "by": "user", "side": Side.CLIENT, "note": note, "public": True, **kw}
    )


def ticket(
    id: str, opened: datetime, events: list[TicketEvent], priority: str = "Normal"
) -> Ticket:
    return Ticket(
        id=id,
        url=f"https://tickets.example/issues/{id}",
        subject=f"Ticket {id}",
        priority=priority,
        opened_at=opened,
        opened_by="user",
        status="New",
        closed=False,
        events=events,
    )


def run(name: str, tickets: list[Ticket], **kw: object) -> TicketMeasurement:
    options: dict[str, object] = {"window_start": START, "window_end": END, **kw}
    return measure(ticket_metric(name), tickets, **options)  # type: ignore[arg-type]


# --- first response -------------------------------------------------------------------


def test_first_response_skips_client_notes_and_private_vendor_notes() -> None:
    # 09:00 opened; 09:10 client note, 09:20 private vendor note: neither counts;
    # 09:45 public vendor note is the response: 45 minutes
    t = ticket("1", at(4, 9), [client(at(4, 9, 10)), vendor(at(4, 9, 20), public=False)])
    t.events.append(vendor(at(4, 9, 45)))
    result = run("p50_first_response_minutes", [t])
    assert result.value == 45
    assert result.tickets[0].stopped_at == at(4, 9, 45)


def test_a_public_status_change_by_the_vendor_is_a_response() -> None:
    # 10:00 opened, 10:30 vendor sets "In Progress" without a note: 30 minutes
    t = ticket("1", at(4, 10), [vendor(at(4, 10, 30), note=False, status="In Progress")])
    assert run("p50_first_response_minutes", [t]).value == 30


def test_first_response_in_hours_and_working_time_overnight() -> None:
    # Opened Tue 16:00, answered Wed 10:00, office 09:00-17:00: 60 + 60 = 120 min = 2 hours
    t = ticket("1", at(5, 16), [vendor(at(6, 10))])
    result = run("p50_first_response_hours", [t], calendar=OFFICE)
    assert result.value == 2
    assert result.working_time
    assert "working hours" in result.sentence


def test_a_weekend_does_not_count_against_the_vendor() -> None:
    # Opened Fri 8 March 16:30, answered Mon 11 March 09:30: 30 + 30 = 60 working minutes
    t = ticket("1", at(8, 16, 30), [vendor(at(11, 9, 30))])
    assert run("p50_first_response_minutes", [t], calendar=OFFICE, window_end=at(12, 0)).value == 60


# --- resolution, pauses ------------------------------------------------------------------


def test_waiting_on_the_client_is_paused_and_attributed_to_the_client() -> None:
    # Opened 09:00; 10:00 vendor asks (Feedback); 12:30 client answers, status back to Open;
    # 14:00 resolved. Clock 09:00-14:00 = 300, paused 10:00-12:30 = 150: 150 counted
    t = ticket(
        "1",
        at(4, 9),
        [
            vendor(at(4, 10), status="Feedback", closed=False),
            client(at(4, 12, 30), status="Open", closed=False),
            vendor(at(4, 14), status="Resolved", closed=True),
        ],
    )
    result = run("p50_resolution_minutes", [t], waiting_statuses=WAITING, target=Decimal(200))
    assert result.value == 150
    assert result.client_paused_minutes == 150
    explained = result.tickets[0]
    assert [(p.status, p.start, p.end, p.minutes) for p in explained.paused] == [
        ("Feedback", at(4, 10), at(4, 12, 30), 150)
    ]
    assert explained.within_target is True
    assert "150 minutes paused, the client's" in explained.sentence
    assert result.sentence.endswith(
        "; 150 minutes waiting on the client (1 ticket), the client's, not counted against "
        "the vendor"
    )


def test_closed_while_waiting_ends_the_pause_at_the_closing() -> None:
    # Opened 09:00, Feedback at 11:00, closed at 15:00 still waiting: 120 counted, 240 paused
    t = ticket(
        "1",
        at(4, 9),
        [
            vendor(at(4, 11), status="Feedback", closed=False),
            client(at(4, 15), status="Closed", closed=True),
        ],
    )
    result = run("p50_resolution_minutes", [t], waiting_statuses=WAITING)
    assert (result.value, result.client_paused_minutes) == (120, 240)


def test_pause_in_working_time() -> None:
    # Opened Mon 16:00, Feedback Mon 16:30, answer Tue 10:00 (Open), resolved Tue 11:00.
    # Office 09:00-17:00: clock 16:00-17:00 + 09:00-11:00 = 180; paused 16:30-17:00 +
    # 09:00-10:00 = 90; counted 90
    t = ticket(
        "1",
        at(4, 16),
        [
            vendor(at(4, 16, 30), status="Feedback", closed=False),
            client(at(5, 10), status="Open", closed=False),
            vendor(at(5, 11), status="Resolved", closed=True),
        ],
    )
    result = run("p50_resolution_minutes", [t], calendar=OFFICE, waiting_statuses=WAITING)
    assert (result.value, result.client_paused_minutes) == (90, 90)
    assert "; 90 working minutes waiting on the client (1 ticket)" in result.sentence


def test_reopened_ticket_keeps_its_first_resolution() -> None:
    # Opened 09:00, resolved 10:00, reopened 11:00, resolved again 15:00: resolution 60
    t = ticket(
        "1",
        at(4, 9),
        [
            vendor(at(4, 10), status="Resolved", closed=True),
            client(at(4, 11), status="Reopened", closed=False),
            vendor(at(4, 15), status="Resolved", closed=True),
        ],
    )
    assert run("p50_resolution_minutes", [t]).value == 60
    reopened = run("reopened_tickets_percent", [t])
    assert reopened.value == 100
    assert reopened.tickets[0].reopened_at == at(4, 11)


# --- honest edge cases --------------------------------------------------------------------


def test_a_ticket_with_no_events_is_still_open_and_counting() -> None:
    # Opened Sun 10 March 12:00; the window ends Mon 11 March 00:00: 720 minutes so far,
    # over a 600-minute target already, so a miss
    t = ticket("1", at(10, 12), [])
    result = run("p90_first_response_minutes", [t], target=Decimal(600))
    assert result.value == 720
    assert result.lower_bound and result.still_open == 1
    assert result.tickets[0].within_target is False
    assert (result.within_target, result.judged) == (0, 1)
    assert "at least 720 minutes" in result.sentence
    assert "720 minutes and counting" in result.tickets[0].sentence


def test_an_open_ticket_under_target_is_undecided() -> None:
    # Opened 10 March 23:00: 60 minutes so far, under 600: left out of the share
    answered = ticket("1", at(4, 9), [vendor(at(4, 9, 30))])
    waiting = ticket("2", at(10, 23), [])
    result = run("p90_first_response_minutes", [answered, waiting], target=Decimal(600))
    assert result.tickets[1].within_target is None
    assert (result.within_target, result.judged, result.within_target_share) == (1, 1, 1)
    # nearest rank of p90 over 2 is the 2nd: 60 (still open): a lower bound
    assert (result.value, result.lower_bound) == (60, True)


def test_an_open_ticket_above_the_rank_leaves_the_percentile_exact() -> None:
    # Ten answered in 1..10 minutes, one still open at 720: p50 of 11 is the 6th = 6, exact
    answered = [ticket(str(i), at(4, 9), [vendor(at(4, 9, i))]) for i in range(1, 11)]
    result = run("p50_first_response_minutes", [*answered, ticket("99", at(10, 12), [])])
    assert (result.value, result.lower_bound, result.still_open) == (6, False, 1)


def test_clock_skew_is_clamped_and_flagged() -> None:
    # The vendor's note is stamped 2 minutes before the opening: 0 minutes, never negative
    t = ticket("1", at(4, 9, 2), [vendor(at(4, 9))])
    result = run("p50_first_response_minutes", [t])
    assert result.value == 0
    assert "clocks differ" in result.tickets[0].notes[0]


def test_equal_timestamps_keep_their_order() -> None:
    # Feedback and Open at the same instant, then resolved an hour later: no pause, 60
    t = ticket(
        "1",
        at(4, 9),
        [
            vendor(at(4, 9), status="Feedback", closed=False),
            client(at(4, 9), status="Open", closed=False),
            vendor(at(4, 10), status="Resolved", closed=True),
        ],
    )
    result = run("p50_resolution_minutes", [t], waiting_statuses=WAITING)
    assert (result.value, result.client_paused_minutes, result.tickets[0].paused) == (60, 0, [])


def test_events_after_the_window_are_not_read() -> None:
    # Answered an hour after the window's end: still open at the end, 60 minutes so far
    t = ticket("1", at(10, 23), [vendor(at(11, 1))])
    result = run("p50_first_response_minutes", [t])
    assert (result.value, result.still_open) == (60, 1)


def test_nothing_to_measure_is_none_not_zero() -> None:
    before = ticket("1", at(1, 9), [vendor(at(1, 10))])
    result = run("p90_first_response_minutes", [before])
    assert result.value is None and result.sample_size == 0
    assert result.sentence.startswith("no tickets opened in the window")
    assert run("backlog_tickets", []).value is None
    assert run("reopened_tickets_percent", [before]).value is None


# --- percentiles and small samples --------------------------------------------------------


def test_nearest_rank_p90_on_ten_and_eleven_values() -> None:
    ten = [Decimal(v) for v in range(1, 11)]
    # ceil(0.9 * 10) = 9th smallest = 9; ceil(0.9 * 11) = ceil(9.9) = 10th smallest = 10
    assert nearest_rank(ten, 90) == 9
    assert nearest_rank([*ten, Decimal(11)], 90) == 10
    # ceil(0.5 * 4) = 2nd smallest
    assert nearest_rank([Decimal(4), Decimal(1), Decimal(3), Decimal(2)], 50) == 2


def test_fewest_values_for_a_percentile() -> None:
    # n >= 100 / (100 - p): p90 -> 10, p95 -> 20, p50 -> 2, p99 -> 100
    assert [fewest_for_percentile(p) for p in (90, 95, 50, 99)] == [10, 20, 2, 100]


def test_small_sample_is_flagged_and_worded() -> None:
    # Four tickets answered in 10, 20, 30, 40 minutes: p90 rank ceil(3.6) = 4, the slowest
    tickets = [ticket(str(i), at(4, 9), [vendor(at(4, 9, 10 * i))]) for i in range(1, 5)]
    result = run("p90_first_response_minutes", tickets)
    assert (result.value, result.sample_size, result.small_sample) == (40, 4, True)
    assert "p90 first response time of 4 tickets (too few for a p90: the slowest shown)" in (
        result.sentence
    )


def test_ten_tickets_are_enough_for_a_p90() -> None:
    tickets = [ticket(str(i), at(4, 9), [vendor(at(4, 9, i))]) for i in range(1, 11)]
    result = run("p90_first_response_minutes", tickets)
    assert (result.value, result.small_sample) == (9, False)


# --- targets -------------------------------------------------------------------------------


def test_share_within_target() -> None:
    # 10, 20, 30, 40 minutes against 25: 2 of 4 within
    tickets = [ticket(str(i), at(4, 9), [vendor(at(4, 9, 10 * i))]) for i in range(1, 5)]
    result = run("p50_first_response_minutes", tickets, target=Decimal(25))
    assert (result.within_target, result.judged, result.within_target_share) == (2, 4, 0.5)


def test_per_priority_targets_and_percentiles() -> None:
    # Urgent: 10 and 50 minutes against 30 -> 1 of 2, p50 = 10; Normal: 120 against 2 hours
    # (the target in the metric's unit: hours) -> within. Overall p50 of 3 = 2nd = 50 minutes
    tickets = [
        ticket("1", at(4, 9), [vendor(at(4, 9, 10))], priority="Urgent"),
        ticket("2", at(4, 9), [vendor(at(4, 9, 50))], priority="Urgent"),
        ticket("3", at(4, 9), [vendor(at(4, 11))], priority="Normal"),
    ]
    targets = {"Urgent": Decimal("0.5"), "Normal": Decimal(2)}
    result = run("p50_first_response_hours", tickets, targets_by_priority=targets)
    assert result.value == Decimal(50) / 60
    by = {p.priority: p for p in result.by_priority}
    assert (by["Urgent"].value, by["Urgent"].within_target, by["Urgent"].judged) == (
        Decimal(10) / 60,
        1,
        2,
    )
    assert (by["Normal"].value, by["Normal"].within_target_share) == (2, 1)
    assert [t.target_minutes for t in result.tickets] == [30, 30, 120]


# --- counts --------------------------------------------------------------------------------


def test_backlog_throughput_and_reopen_rate() -> None:
    closed_before = ticket("1", at(1, 9), [vendor(at(1, 10), status="Closed", closed=True)])
    closed_in = ticket("2", at(1, 9), [vendor(at(5, 10), status="Closed", closed=True)])
    reopened = ticket(
        "3",
        at(4, 9),
        [
            vendor(at(4, 10), status="Closed", closed=True),
            client(at(6, 9), status="Reopened", closed=False),
        ],
    )
    still_open = ticket("4", at(6, 9), [])
    tickets = [closed_before, closed_in, reopened, still_open]
    # open at the end: 3 (reopened) and 4
    assert run("backlog_tickets", tickets).value == 2
    # closed in the window: 2 and 3
    assert run("resolved_tickets", tickets).value == 2
    # of 2 and 3, closed in the window, 3 was reopened: 1 of 2 = 50%
    rate = run("reopened_tickets_percent", tickets)
    assert (rate.value, rate.unit, rate.ticket_ids) == (50, Unit.PERCENT, ["2", "3"])


# --- the status a ticket was created in -------------------------------------------------


def created(id: str, opened: datetime, status: str, events: list[TicketEvent]) -> Ticket:
    closed = status == "Closed"
    return ticket(id, opened, events).model_copy(
        update={"opened_status": status, "opened_closed": closed}
    )


def test_a_ticket_created_closed_has_no_time_to_measure_and_says_so() -> None:
    # Logged after the fact, closed from the start, no journals: 1 is not a 0-minute
    # resolution nor an open ticket "counting" to the window's end; 2 is measured.
    logged = created("1", at(5, 9), "Closed", [])
    answered = ticket("2", at(4, 9), [vendor(at(4, 9, 40), status="Closed", closed=True)])
    for name in ("p90_first_response_minutes", "p90_resolution_minutes"):
        result = run(name, [logged, answered], target=Decimal(60))
        assert (result.value, result.sample_size, result.ticket_ids) == (40, 1, ["2"])
        assert (result.judged, result.still_open, result.lower_bound) == (1, 0, False)
        assert "1 ticket created closed left out (no time to measure)" in result.sentence
        [explained] = [t for t in result.tickets if t.id == "1"]
        assert not explained.counted and explained.minutes is None
        assert "created closed (Closed), logged after the fact" in explained.sentence
    only = run("p90_resolution_minutes", [logged])
    assert only.value is None and "created closed left out" in only.sentence
    # It was closed in the window, and is in nobody's backlog.
    assert run("resolved_tickets", [logged]).value == 1
    assert run("backlog_tickets", [logged]).value == 0
    assert run("reopened_tickets_percent", [logged]).value == 0


def test_a_ticket_created_waiting_on_the_client_is_paused_from_its_opening() -> None:
    # Created in Feedback at 09:00 (the client must send a log first); the client answers
    # at 11:00 (Open); the vendor resolves at 12:00: 60 counted, 120 the client's
    t = created(
        "1",
        at(4, 9),
        "Feedback",
        [
            client(at(4, 11), status="Open", closed=False),
            vendor(at(4, 12), status="Closed", closed=True),
        ],
    )
    result = run("p50_resolution_minutes", [t], waiting_statuses=WAITING)
    assert (result.value, result.client_paused_minutes) == (60, 120)
    assert result.tickets[0].paused[0].start == at(4, 9)
    # Created in an ordinary status, the creation is no response and pauses nothing.
    plain = created("2", at(4, 9), "New", [vendor(at(4, 9, 20))])
    result = run("p50_first_response_minutes", [plain], waiting_statuses=WAITING)
    assert (result.value, result.client_paused_minutes) == (20, 0)


def test_a_ticket_closed_by_the_client_before_any_response_counts_its_wait() -> None:
    # Opened 09:00, never answered, the requester closes it at 14:00: 300 minutes waited,
    # counted as such (a gave-up ticket is a miss, never hidden)
    t = ticket("1", at(4, 9), [client(at(4, 14), status="Closed", closed=True)])
    result = run("p90_first_response_minutes", [t], target=Decimal(60))
    assert (result.value, result.still_open, result.within_target) == (300, 0, 0)
    assert "closed by user before any response 2024-03-04 14:00 UTC: 300 minutes counted" in (
        result.tickets[0].sentence
    )


# --- determinism ---------------------------------------------------------------------------


def test_same_tickets_in_any_order_give_the_same_result() -> None:
    rng = random.Random(20240304)
    tickets = [
        ticket(
            str(i),
            at(4 + i % 5, 9 + i % 7),
            [
                vendor(at(4 + i % 5, 9 + i % 7, 5), status="Feedback", closed=False),
                client(at(4 + i % 5, 17), status="Open", closed=False),
                vendor(at(4 + i % 5, 18, i), status="Resolved", closed=True),
            ],
            priority=["Normal", "High"][i % 2],
        )
        for i in range(25)
    ]
    options = {"calendar": OFFICE, "waiting_statuses": WAITING, "target": Decimal(60)}
    first = run("p90_resolution_minutes", tickets, **options)
    for _ in range(5):
        shuffled = tickets[:]
        rng.shuffle(shuffled)
        assert run("p90_resolution_minutes", shuffled, **options) == first


def test_a_ticket_given_twice_is_refused() -> None:
    t = ticket("7", at(4, 9), [])
    with pytest.raises(ValueError, match="ticket 7 given more than once"):
        run("backlog_tickets", [t, t])


# --- metric names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "unit", "percentile"),
    [
        ("p90_first_response_minutes", TicketMetricKind.FIRST_RESPONSE, Unit.MINUTES, 90),
        ("p50_first_response_hours", TicketMetricKind.FIRST_RESPONSE, Unit.HOURS, 50),
        ("p95_resolution_minutes", TicketMetricKind.RESOLUTION, Unit.MINUTES, 95),
        ("p1_resolution_hours", TicketMetricKind.RESOLUTION, Unit.HOURS, 1),
        ("reopened_tickets_percent", TicketMetricKind.REOPENED, Unit.PERCENT, None),
        ("backlog_tickets", TicketMetricKind.BACKLOG, Unit.TICKETS, None),
        ("resolved_tickets", TicketMetricKind.RESOLVED, Unit.TICKETS, None),
    ],
)
def test_metric_names_accepted(
    name: str, kind: TicketMetricKind, unit: Unit, percentile: int | None
) -> None:
    metric = ticket_metric(name)
    assert (metric.kind, metric.unit, metric.percentile) == (kind, unit, percentile)


@pytest.mark.parametrize(
    "name",
    [
        "p100_resolution_hours",
        "p0_resolution_hours",
        "p09_resolution_hours",
        "resolution_hours",
        "p90_first_response_days",
        "backlog",
        "P90_resolution_hours",
        "",
    ],
)
def test_metric_names_refused_with_the_accepted_forms(name: str) -> None:
    with pytest.raises(ValueError, match="unknown ticket metric") as refused:
        ticket_metric(name)
    assert "p{N}_first_response_minutes" in str(refused.value)
    assert "resolved_tickets" in str(refused.value)
