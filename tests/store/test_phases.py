"""Phase changes: one function, checked, audited in the same transaction, safe in a race."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from sqlmodel import select

from config import Settings
from models.errors import ConcurrentChangeError, TransitionError
from models.phases import Phase
from models.tables import AuditEntry, Trial
from planfile import load_plan, require_valid
from store.db import read_session, write_session
from store.phases import change_phase
from store.trials import create_trial
from tests.conftest import EXAMPLES

SLUG = "acme-helpdesk-2026q4"


@pytest.fixture
def trial(settings: Settings) -> str:
    plan = require_valid(load_plan(EXAMPLES / "helpdesk-takeover.yaml", settings.policy))
    with write_session(settings) as session:
        create_trial(session=session, plan=plan, actor="tester")
    return plan.trial


def move(settings: Settings, to: Phase, reason: str = "next step") -> bool:
    with write_session(settings) as session:
        return change_phase(session=session, slug=SLUG, to=to, actor="tester", reason=reason)


def state(settings: Settings) -> tuple[str, int, list[tuple[str | None, str | None]]]:
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == SLUG)).one()
        audit = session.exec(
            select(AuditEntry.from_phase, AuditEntry.to_phase)
            .where(AuditEntry.action == "phase_changed")
            .order_by(AuditEntry.id)
        ).all()  # type: ignore[arg-type]
    return row.phase, row.version, [tuple(a) for a in audit]  # type: ignore[misc]


def test_a_change_is_written_with_its_audit_row(settings: Settings, trial: str) -> None:
    assert move(settings, Phase.ONBOARDING, "vendor signed the trial agreement")
    assert state(settings) == ("onboarding", 2, [("draft", "onboarding")])
    with read_session(settings) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "phase_changed")).one()
    assert (entry.actor, entry.reason) == ("tester", "vendor signed the trial agreement")


def test_repeating_a_change_is_harmless(settings: Settings, trial: str) -> None:
    assert move(settings, Phase.ONBOARDING)
    assert not move(settings, Phase.ONBOARDING)
    assert state(settings) == ("onboarding", 2, [("draft", "onboarding")])


def test_a_forbidden_change_writes_nothing(settings: Settings, trial: str) -> None:
    with pytest.raises(TransitionError, match="cannot move from draft to expanding"):
        move(settings, Phase.EXPANDING)
    assert state(settings) == ("draft", 1, [])


def test_a_failure_after_the_change_rolls_it_back_with_its_audit(
    settings: Settings, trial: str
) -> None:
    with pytest.raises(RuntimeError), write_session(settings) as session:
        change_phase(session=session, slug=SLUG, to=Phase.ONBOARDING, actor="t", reason="r")
        raise RuntimeError("crash before commit")
    assert state(settings) == ("draft", 1, [])


def race(settings: Settings, attempts: list[Callable[[], object]]) -> list[object]:
    """Run the attempts at once from threads; each returns its result or its exception."""
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = attempts[i]()
        except Exception as exc:  # collected for the assertions
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(attempts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_racing_writers_make_one_change(settings: Settings, trial: str) -> None:
    results = race(settings, [lambda: move(settings, Phase.ONBOARDING)] * 8)
    assert results.count(True) == 1, results
    assert all(r is False or isinstance(r, ConcurrentChangeError) for r in results if r is not True)
    assert state(settings) == ("onboarding", 2, [("draft", "onboarding")])


def test_racing_decisions_leave_one_outcome(settings: Settings, trial: str) -> None:
    for phase in (Phase.ONBOARDING, Phase.PILOTING, Phase.EVALUATING):
        move(settings, phase)
    results = race(
        settings, [lambda: move(settings, Phase.EXPANDING), lambda: move(settings, Phase.EXITING)]
    )
    winners = [r for r in results if r is True]
    losers = [r for r in results if isinstance(r, ConcurrentChangeError | TransitionError)]
    assert len(winners) == 1 and len(losers) == 1, results
    phase, version, audit = state(settings)
    assert phase in ("expanding", "exiting") and version == 5
    assert audit[-1] == ("evaluating", phase) and len(audit) == 4
