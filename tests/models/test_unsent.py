"""A notification that could not be sent reads as one line: when, which automation, why,
and what to check before `trials deploy`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from models.notify import Unsent


def test_the_line_names_the_automation_the_receiver_and_what_to_check() -> None:
    unsent = Unsent(
        at=datetime(2026, 5, 4, 11, 30, tzinfo=timezone(timedelta(hours=2))),
        automation="trials notify: t1",
        reason="Notification failed",
        log="the chat webhook at hooks.example.com answered HTTP 500",
    )
    assert unsent.line == (
        "2026-05-04 09:30 UTC, 'trials notify: t1': Notification failed: the chat webhook at "
        "hooks.example.com answered HTTP 500. Check the URL in the plan's (or TRIALS_NOTIFY's) "
        "notify: section, then run `trials deploy`."
    )


def test_without_the_blocks_account_the_line_points_at_the_block() -> None:
    unsent = Unsent(
        at=datetime(2026, 5, 4, 9, 30, tzinfo=UTC),
        automation="trials notify: t1: run failed",
        reason="Notification failed",
        log=None,
    )
    assert "Notification failed. Check the notification block in the Prefect UI" in unsent.line
