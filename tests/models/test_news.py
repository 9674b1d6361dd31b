"""A trial's news: the monitor carries a trial on only when something happened since it last
started a run for it, and polls a quiet one once per poll interval."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from models.evaluation import WAITING_FOR_DECISION
from models.monitor import News, OpenRung, Watch, can_advance, news, waiting_to_apply
from models.phases import Phase

CARRIED = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
NOW = CARRIED + timedelta(hours=1)
SILENT, POLL = timedelta(days=2), timedelta(hours=6)
VENDOR = "vendor to deliver rung-1 (in_progress)"


def watch(**changes: object) -> Watch:
    """A trial waiting on its vendor for rung-1, carried on by the monitor at CARRIED."""
    rung = OpenRung(
        key="rung-1",
        submitted_at=CARRIED - timedelta(hours=2),
        sent_at=CARRIED - timedelta(hours=2),
        due_in_days=5,
    )
    fields: dict[str, object] = {
        "slug": "t",
        "trial_id": 1,
        "vendor": "Acme",
        "phase": Phase.PILOTING,
        "engagement": 1,
        "waiting_for": VENDOR,
        "waiting_since": CARRIED - timedelta(minutes=1),
        "open_rungs": [rung],
        "last_heard": CARRIED - timedelta(hours=1),
        "spent": Decimal(0),
        "cap": Decimal(100),
        "currency": "USD",
        "raised": set(),
        "carried_on_at": CARRIED,
    }
    return Watch.model_validate(fields | changes)


def test_nothing_since_the_last_carry_on_is_no_news() -> None:
    assert news(watch(), NOW, SILENT, POLL) is None


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"carried_on_at": None}, News.FIRST),
        ({"waiting_for": None, "waiting_since": None}, News.NO_WAIT),
        (
            {"waiting_for": waiting_to_apply("budget-approval:e1"), "waiting_since": NOW},
            News.DECISION,
        ),
        ({"last_heard": CARRIED + timedelta(seconds=1)}, News.WEBHOOK),
    ],
)
def test_what_happened_since_is_news(changes: dict[str, object], why: News) -> None:
    assert news(watch(**changes), NOW, SILENT, POLL) is why


def test_a_deadline_or_the_silent_window_passing_since_is_news_once() -> None:
    due = CARRIED - timedelta(hours=2) + timedelta(days=5)
    assert news(watch(), due + timedelta(minutes=1), SILENT * 10, POLL * 100) is News.DUE
    carried_after = watch(carried_on_at=due + timedelta(minutes=1))
    assert news(carried_after, due + timedelta(minutes=2), SILENT * 10, POLL) is None
    quiet_for = CARRIED - timedelta(hours=1) + SILENT  # from the last webhook
    assert news(watch(), quiet_for + timedelta(minutes=1), SILENT, POLL * 100) is News.SILENT


def test_a_decision_already_carried_on_waits_for_the_poll() -> None:
    applied = watch(waiting_for=waiting_to_apply("budget-approval:e1"))
    assert news(applied, NOW, SILENT, POLL) is None
    assert news(applied, CARRIED + POLL, SILENT, POLL) is News.POLL


def test_a_quiet_vendor_is_polled_once_per_interval() -> None:
    assert news(watch(), CARRIED + POLL - timedelta(seconds=1), SILENT * 10, POLL) is None
    assert news(watch(), CARRIED + POLL, SILENT * 10, POLL) is News.POLL


def test_a_trial_waiting_for_a_person_is_never_news() -> None:
    person = watch(waiting_for=WAITING_FOR_DECISION, carried_on_at=None, last_heard=NOW)
    assert news(person, NOW + POLL * 10, SILENT, POLL) is None


@pytest.mark.parametrize(
    ("phase", "waiting_for", "yes"),
    [
        (Phase.PILOTING, VENDOR, True),
        (Phase.ONBOARDING, None, True),
        (Phase.DRAFT, None, False),  # never started: `trials start` does that
        (Phase.CLOSED, None, False),
        (Phase.EVALUATING, WAITING_FOR_DECISION, False),  # a person's to move
    ],
)
def test_a_run_carries_on_only_a_started_unfinished_trial_no_person_waits_on(
    phase: Phase, waiting_for: str | None, yes: bool
) -> None:
    assert can_advance(phase, waiting_for) is yes
    assert watch(phase=phase, waiting_for=waiting_for).can_advance is yes
