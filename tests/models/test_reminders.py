"""A gate left open past the plan's reminder interval is reminded of once; an answered gate
(the trial no longer waits there) never is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from models.evaluation import WAITING_FOR_DECISION
from models.monitor import Concern, Watch, escalations
from models.phases import Phase

AT = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SILENT = timedelta(days=2)


def watch(waiting_for: str | None, remind_after: timedelta | None = timedelta(hours=24)) -> Watch:
    return Watch(
        slug="t",
        trial_id=1,
        vendor="Acme",
        phase=Phase.EVALUATING,
        engagement=1,
        waiting_for=waiting_for,
        waiting_since=AT if waiting_for else None,
        open_rungs=[],
        last_heard=None,
        spent=Decimal(0),
        cap=Decimal(100),
        currency="USD",
        raised=set(),
        remind_after=remind_after,
    )


def test_an_open_gate_is_reminded_of_once_after_the_interval() -> None:
    open_gate = watch(WAITING_FOR_DECISION)
    assert escalations(open_gate, AT + timedelta(hours=23), SILENT) == []
    [reminder] = escalations(open_gate, AT + timedelta(hours=25), SILENT)
    assert reminder.concern is Concern.REMINDER
    assert reminder.key == "reminder:e1:evaluation:20260504T090000"
    assert "t has waited 25 h for a person: decision at evaluation" in reminder.message
    assert "trials decide t expand|extend|exit --reason TEXT" in reminder.message
    # Each hourly round after that finds it raised: no storm.
    again = open_gate.model_copy(update={"raised": {reminder.key}})
    assert escalations(again, AT + timedelta(hours=50), SILENT) == []


def test_an_answered_gate_or_a_plan_without_notify_is_not_reminded_of() -> None:
    assert escalations(watch(None), AT + timedelta(days=9), SILENT) == []
    assert escalations(watch(WAITING_FOR_DECISION, None), AT + timedelta(days=9), SILENT) == []
