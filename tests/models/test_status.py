"""A trial's status as an operator reads it: where the ladder stands, and the latest run."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from models.monitor import asked_note
from models.status import LatestRun, TrialStatus, status_markdown

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def status(phase: str, done: int, current: str | None) -> TrialStatus:
    return TrialStatus(
        slug="acme",
        vendor="Acme",
        phase=phase,
        engagement=2,
        rungs_done=done,
        rungs_total=2,
        current_rung=current,
        spent=Decimal("850.00"),
        cap=Decimal("15500.00"),
        currency="USD",
        waiting_for=None,
        waiting_since=None,
        escalations=[],
    )


def test_a_climbing_ladder_names_its_next_rung() -> None:
    assert status("piloting", 1, "l2-takeover").rung == "1/2 l2-takeover"


def test_a_ladder_stopped_early_shows_only_what_was_done() -> None:
    # The trial has moved on to evaluation, exit or closed: there is no rung being climbed.
    assert status("closed", 0, "office-rollout").rung == "0/2"
    assert status("evaluating", 1, "l2-takeover").rung == "1/2"


def test_a_run_that_stopped_without_finishing_is_pointed_out() -> None:
    assert LatestRun(state="Failed", url=None).ended_badly
    assert LatestRun(state="Crashed", url=None).ended_badly
    assert not LatestRun(state="Suspended", url=None).ended_badly
    assert not LatestRun(state="Completed", url=None).ended_badly


def test_the_weekly_report_names_the_latest_runs_state_and_address() -> None:
    run = LatestRun(state="Suspended", url="http://127.0.0.1:4200/runs/flow-run/1")
    report = status_markdown(status("piloting", 1, "l2-takeover"), NOW, run)
    assert "| latest run | Suspended: http://127.0.0.1:4200/runs/flow-run/1 |" in report
    assert "| latest run | - |" in status_markdown(status("closed", 2, None), NOW, None)


def test_the_note_a_gate_leaves_when_it_asks_names_the_advice() -> None:
    note = asked_note("evaluation:e1:1", "expand", "every target met: score 100%")
    assert note == "evaluation:e1:1: advice expand: every target met: score 100%"
    assert asked_note("budget-approval:e1", None, "over the cap") == (
        "budget-approval:e1: advice none: over the cap"
    )


def test_a_trial_waiting_for_a_person_shows_the_advice() -> None:
    asked = status("evaluating", 2, None).model_copy(
        update={"waiting_for": "decision at evaluation", "waiting_since": NOW, "advice": "expand"}
    )
    assert asked.waiting(NOW) == "decision at evaluation (advice: expand), 0 min"


def test_an_active_trial_whose_run_finished_waits_for_its_next_start() -> None:
    opened = status("piloting", 0, "office-rollout")  # engagement 2 opened, nothing waited for
    done = LatestRun(state="Completed", url=None)
    assert opened.waiting(NOW, done) == "a start: `trials start` or the monitor's next round"
    assert opened.waiting(NOW, LatestRun(state="Running", url=None)) == "-"
    assert status("closed", 2, None).waiting(NOW, done) == "-"
    asked = opened.model_copy(update={"waiting_for": "vendor to deliver office-rollout"})
    assert asked.waiting(NOW, done) == "vendor to deliver office-rollout"
