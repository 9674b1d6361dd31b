"""Killing the engine mid-ladder and mid-exit, then rerunning: nothing is done twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest
from prefect.settings import PREFECT_API_URL
from sqlmodel import col, select

from config import Settings
from models.tables import ExitStep, PilotTask, Trial, Vendor, VendorEffect
from simulator.config import ProfileName
from store.db import read_session
from tests.flows.conftest import StoreTrial

pytestmark = pytest.mark.e2e

RUN = (
    "import asyncio, sys; from flows.trial import trial; "
    "print(asyncio.run(trial(sys.argv[1], decisions='auto', wait_seconds=60)))"
)


def engine(slug: str) -> subprocess.Popen[str]:
    """`trial` in its own process, against this test's store and Prefect API."""
    env = os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    return subprocess.Popen(
        [sys.executable, "-c", RUN, slug],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def kill_when(
    process: subprocess.Popen[str], ready: Callable[[], bool], timeout: float = 60
) -> bool:
    """SIGKILL the process as soon as `ready()` holds; False if it ended first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        if ready():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.02)
    process.wait()
    return False


def query(settings: Settings, statement):  # type: ignore[no-untyped-def]
    with read_session(settings) as session:
        return list(session.exec(statement))


@pytest.mark.postgres
async def test_kills_mid_ladder_and_mid_exit_leave_no_duplicate_work(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.POOR, seconds_per_day=0.05)

    def rung_submitted() -> bool:
        return bool(query(settings, select(PilotTask).where(PilotTask.status == "submitted")))

    def delivered() -> bool:
        return bool(query(settings, select(PilotTask).where(PilotTask.status == "delivered")))

    def export_requested() -> bool:
        return bool(query(settings, select(VendorEffect).where(VendorEffect.kind == "data_export")))

    def revoking() -> bool:
        return bool(
            query(
                settings,
                select(ExitStep).where(
                    ExitStep.kind == "access_revocation", ExitStep.status == "done"
                ),
            )
        )

    kills = [
        kill_when(engine(slug), point)
        for point in (rung_submitted, delivered, export_requested, revoking)
    ]
    final = engine(slug)
    output, _ = final.communicate(timeout=120)
    assert final.returncode == 0, output
    assert sum(kills) >= 3, kills  # the engine really died mid-way, several times

    (trial,) = query(settings, select(Trial))
    assert trial.phase == "closed"
    (base,) = query(settings, select(Vendor.base_url))
    ledger = httpx.get(f"{base.rstrip('/')}/admin/ledger").json()
    assert {ref["creations"] for ref in ledger["client_refs"].values()} == {1}
    assert ledger["effects"]["work_items"] == 2  # rung-1, rung-2; the ladder stopped there
    assert ledger["effects"]["exports"] == 1
    grants = query(
        settings,
        select(ExitStep).where(
            ExitStep.kind == "access_revocation", col(ExitStep.target).is_not(None)
        ),
    )
    assert ledger["effects"]["revocations"] == len(grants)
    assert all(step.status == "done" for step in query(settings, select(ExitStep)))
