"""`trials run` as a person uses it: it stops at each gate, says how to answer, and goes on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL
from sqlmodel import select

from config import Settings
from models.tables import Decision, Trial
from store.db import read_session
from tests.flows.conftest import StoreTrial

pytestmark = pytest.mark.e2e

TRIALS = str(Path(sys.executable).with_name("trials"))


def environment() -> dict[str, str]:
    """This test's store and Prefect API, for the commands run as processes."""
    return os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }


def waits_for(
    settings: Settings, slug: str, what: str, process: subprocess.Popen[str], engagement: int = 1
) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        with read_session(settings) as session:
            row = session.exec(select(Trial).where(Trial.slug == slug)).one()
            if (row.waiting_for, row.engagement) == (what, engagement):
                return
        time.sleep(0.2)
    raise AssertionError(f"the trial never waited for the {what}: {process.communicate()}")


def answer(command: str, slug: str, *argv: str) -> str:
    """Answer a gate from another terminal, as Sam Ortiz: `trials decide` or `trials review`."""
    done = subprocess.run(
        [TRIALS, command, slug, *argv, "--by", "Sam Ortiz"],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def decide(slug: str, *argv: str) -> str:
    return answer("decide", slug, *argv)


def review(slug: str, expectation: str, value: str) -> str:
    return answer("review", slug, expectation, value)


def test_run_asks_at_both_gates_and_the_answers_carry_the_same_run_on(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    running = subprocess.Popen(
        [TRIALS, "run", slug, "--wait", "60"],
        env=environment(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    waits_for(settings, slug, "budget approval at onboarding", running)
    assert f"Resumed trial-{slug}:" in decide(slug, "approve", "--reason", "In the Q4 budget")
    waits_for(settings, slug, "client review to accept the rung", running)
    assert f"Resumed trial-{slug}:" in review(slug, "satisfaction", "4.6")
    waits_for(settings, slug, "decision at evaluation", running)
    assert f"Resumed trial-{slug}:" in decide(slug, "expand", "--reason", "All targets met")
    # The same run opens engagement 2, climbs its ladder and asks at its evaluation.
    waits_for(settings, slug, "client review to accept the rung", running, engagement=2)
    assert f"Resumed trial-{slug}:" in review(slug, "all-office-satisfaction", "4.5")
    waits_for(settings, slug, "decision at evaluation", running, engagement=2)
    assert f"Resumed trial-{slug}:" in decide(slug, "exit", "--reason", "Renew on a new plan")
    out, err = running.communicate(timeout=120)

    assert running.returncode == 0, err
    assert out.strip() == f"Trial {slug}: closed. `trials show {slug}` has the details."
    asked = [line for line in err.splitlines() if "waits for a person" in line]
    assert len(asked) == 5, err
    assert f"`trials decide {slug} approve|reject --reason TEXT`" in asked[0]
    assert f"`trials review {slug} EXPECTATION VALUE --by NAME`" in asked[1]
    assert f"`trials decide {slug} expand|extend|exit --reason TEXT`" in asked[2]
    assert "Traceback" not in err
    with read_session(settings) as session:
        decided = session.exec(select(Decision.gate, Decision.choice, Decision.decided_by)).all()
    assert sorted(decided) == [
        ("acceptance:e1:rung-3", "accept", "Sam Ortiz"),
        ("acceptance:e2:l2-takeover", "accept", "Sam Ortiz"),
        ("budget-approval:e1", "approve", "Sam Ortiz"),
        ("evaluation:e1:1", "expand", "Sam Ortiz"),
        ("evaluation:e2:1", "exit", "Sam Ortiz"),
    ]
