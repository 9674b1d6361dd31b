"""The exit against simulated vendors: reliable, hostile at exit, and one that goes away."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from sqlmodel import col, select
from starlette.types import ASGIApp

from config import Settings
from flows.exit import exit_trial
from flows.onboarding import onboarding
from models.errors import TransitionError
from models.exit_rules import (
    ExitReport,
    ExitStopped,
    StepStatus,
    archive_name,
    poll_delays,
    reconcile,
)
from models.money import Money
from models.phases import Phase
from models.tables import ExitStep, StoredFile, Trial, Vendor
from planfile import load_plan, require_valid
from simulator.app import create_app
from simulator.config import ProfileName, SimulatorConfig
from simulator.serve import listening_socket
from store.db import read_session, write_session
from store.trials import create_trial
from tasks.exit import archive_file
from tasks.trial_state import move_phase
from tests.conftest import EXAMPLES
from tests.flows.conftest import StoreTrial

TOKEN = {"Authorization": "Bearer sim-token"}


async def onboard_and_decide_exit(slug: str) -> None:
    """Onboard the trial, then take it through evaluation to the exit."""
    await onboarding(slug, decisions="auto")
    await move_phase.fn(slug, Phase.EVALUATING, "pilot over")
    await move_phase.fn(slug, Phase.EXITING, "the vendor is leaving")


def vendor_url(settings: Settings, slug: str) -> str:
    with read_session(settings) as session:
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
        return session.get_one(Vendor, trial.vendor_id).base_url.rstrip("/")


def ledger(base_url: str) -> dict[str, Any]:
    return httpx.get(f"{base_url}/admin/ledger").json()  # type: ignore[no-any-return]


def deliver_one_rung(base_url: str, slug: str) -> None:
    """Have the vendor do and bill one small work item, as the ladder would."""
    body = {
        "client_ref": f"{slug}:e1:rung-1:work-item",
        "trial": slug,
        "title": "Reset passwords",
        "hours": {"engineer": 6, "lead": 2},
        "rates": {"engineer": 95, "lead": 140},
        "currency": "USD",
        "due_in_days": 5,
    }
    headers = TOKEN | {"Idempotency-Key": str(body["client_ref"])}
    created = httpx.post(f"{base_url}/v1/work-items", json=body, headers=headers).json()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        item = httpx.get(f"{base_url}/v1/work-items/{created['id']}", headers=TOKEN).json()
        if item["status"] == "delivered":
            return
        time.sleep(0.02)
    raise AssertionError("the work item was never delivered")


def steps(settings: Settings) -> list[ExitStep]:
    with read_session(settings) as session:
        return list(session.exec(select(ExitStep).order_by(col(ExitStep.position))))


def phase(settings: Settings, slug: str) -> str:
    with read_session(settings) as session:
        return session.exec(select(Trial.phase).where(Trial.slug == slug)).one()


async def completed_steps(slug: str, since: datetime, expected: int) -> list[str]:
    """The exit steps Prefect recorded as completed since then, once it has them all."""
    async with get_client() as client:
        deadline = time.monotonic() + 10
        while True:
            query = EventFilter(
                event=EventNameFilter(name=["trials.exit.step.completed"]),
                resource=EventResourceFilter(id=[f"trials.trial.{slug}"]),
                occurred=EventOccurredFilter(since=since, until=datetime.now(UTC)),
            )
            events = (await client.read_events(filter=query, limit=50)).events
            if len(events) >= expected or time.monotonic() > deadline:
                return sorted(str(e.payload["key"]) for e in events)
            time.sleep(0.2)


async def report_artifact(slug: str) -> str:
    async with get_client() as client:
        [latest] = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=[f"exit-report-{slug}"])
            )
        )
    return str(latest.data)


def assert_archived(settings: Settings, report: ExitReport) -> None:
    """Every file in the report is on disk with its sha256, and in the store."""
    with read_session(settings) as session:
        rows = session.exec(select(StoredFile)).all()
    assert {(r.kind, r.name, r.sha256) for r in rows} == {
        (a.kind, a.name, a.sha256) for a in report.archived
    }
    for file in report.archived:
        content = (settings.data_dir / file.path).read_bytes()
        assert (len(content), hashlib.sha256(content).hexdigest()) == (file.size, file.sha256)


async def test_exit_refuses_a_trial_not_exiting(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    with pytest.raises(TransitionError, match="is in draft: the exit runs only for a trial in"):
        await exit_trial(slug)
    assert phase(settings, slug) == Phase.DRAFT


async def test_reliable_vendor_exits_cleanly_once(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    await onboard_and_decide_exit(slug)
    base_url = vendor_url(settings, slug)
    deliver_one_rung(base_url, slug)
    started = datetime.now(UTC)

    report = await exit_trial(slug)

    assert phase(settings, slug) == Phase.CLOSED and report.complete
    assert all(s.status == StepStatus.DONE for s in steps(settings))
    kinds = [a.kind for a in report.archived]
    assert kinds.count("kt_document") == 5 and kinds.count("data_export") == 1
    assert_archived(settings, report)
    assert report.reconciliation is not None
    assert "matching the invoices" in report.reconciliation
    assert "under the 11,360.00 ladder estimate, within the 13,500.00 budget" in (
        report.reconciliation
    )
    done = ledger(base_url)
    assert done["effects"]["exports"] == 1
    assert done["effects"]["revocations"] == len(report.grants) >= 2
    revokes = [k for k in done["keys"] if ":exit:revoke:" in k]
    assert sorted(revokes) == sorted(g.key for g in report.grants)

    keys = sorted(s.key for s in [*report.steps, *report.grants])
    assert await completed_steps(slug, started, len(keys)) == keys
    markdown = await report_artifact(slug)
    assert "the exit is complete" in markdown and report.archived[0].sha256 in markdown

    again = await exit_trial(slug)  # closed: the stored report, nothing asked of the vendor

    assert again == report
    assert ledger(base_url) == done


async def test_hostile_vendor_exit_completes_by_verifying(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(profile=ProfileName.HOSTILE_EXIT, seconds_per_day=0.05)  # ready in 0.15 s
    await onboard_and_decide_exit(slug)

    report = await exit_trial(slug)

    assert phase(settings, slug) == Phase.CLOSED and report.complete
    assert len([a for a in report.archived if a.kind == "kt_document"]) == 5  # not just half
    assert_archived(settings, report)  # the truncated first download was fetched again
    assert all("after 2 revoke requests" in g.detail for g in report.grants)
    done = ledger(vendor_url(settings, slug))
    assert done["effects"]["exports"] == 1
    assert done["effects"]["revocations"] == len(report.grants)
    assert {done["keys"][g.key]["attempts"] for g in report.grants} == {2}


class StoppableVendor:
    """A simulator served on a fixed port that can stop and start again with its state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        sock = listening_socket(self.port)
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning"))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        while not self._server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
            self._server = self._thread = None


@pytest.fixture
def stoppable_trial(
    settings: Settings, prefect_api: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[str, StoppableVendor]]:
    """The helpdesk example stored as a draft whose vendor is a stoppable hostile simulator."""
    vendor = StoppableVendor(
        create_app(SimulatorConfig(profile=ProfileName.HOSTILE_EXIT, seconds_per_day=0.02))
    )
    vendor.start()
    monkeypatch.setenv("ACME_API_TOKEN", "sim-token")
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "2")  # fail fast once it is gone
    plan_file = tmp_path / "stoppable.yaml"
    text = (EXAMPLES / "helpdesk-takeover.yaml").read_text()
    plan_file.write_text(text.replace("http://127.0.0.1:8765", vendor.base_url))
    plan = require_valid(load_plan(plan_file, settings.policy))
    with write_session(settings) as session:
        create_trial(session=session, plan=plan, actor="tester")
    yield plan.trial, vendor
    vendor.stop()


def plan_step(settings: Settings, kind: str) -> ExitStep:
    return next(s for s in steps(settings) if s.kind == kind and s.target is None)


async def test_failed_step_leaves_a_to_do_and_a_rerun_resumes(
    settings: Settings, stoppable_trial: tuple[str, StoppableVendor]
) -> None:
    slug, vendor = stoppable_trial
    await onboard_and_decide_exit(slug)

    with pytest.raises(ExitStopped, match="stopped at data_return"):
        await exit_trial(slug, max_wait_seconds=0)  # the export cannot be ready yet

    assert phase(settings, slug) == Phase.EXITING
    assert plan_step(settings, "knowledge_transfer").status == StepStatus.DONE
    waiting = plan_step(settings, "data_return")
    assert waiting.status == StepStatus.FAILED
    assert "To do: ask the vendor when the export will be ready" in waiting.detail

    vendor.stop()
    with pytest.raises(ExitStopped, match="stopped at data_return"):
        await exit_trial(slug)  # the vendor has gone: retried, then left as a to-do

    assert phase(settings, slug) == Phase.EXITING
    gone = plan_step(settings, "data_return")
    assert gone.status == StepStatus.FAILED
    assert "To do: check that the API of Acme Managed Services answers" in gone.detail

    vendor.start()
    report = await exit_trial(slug)  # the vendor is back: the rerun finishes the exit

    assert phase(settings, slug) == Phase.CLOSED and report.complete
    assert_archived(settings, report)
    done = ledger(vendor.base_url)
    assert done["effects"]["exports"] == 1
    assert done["keys"][gone.idempotency_key]["attempts"] == 1  # read back, never re-requested
    assert done["effects"]["revocations"] == len(report.grants)


async def test_archiving_a_document_again_keeps_one_row_with_the_new_content(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    with read_session(settings) as session:
        trial_id = session.exec(select(Trial.id).where(Trial.slug == slug)).one()
    assert trial_id is not None
    archive_file(trial_id, slug, "kt_document", "kt-0001", "kt-0001-runbook", b"draft")
    new = archive_file(trial_id, slug, "kt_document", "kt-0001", "kt-0001-runbook", b"final")
    with read_session(settings) as session:
        rows = session.exec(select(StoredFile)).all()
    assert [(r.vendor_ref, r.size, r.sha256) for r in rows] == [("kt-0001", 5, new.sha256)]
    assert (settings.data_dir / new.path).read_bytes() == b"final"
    assert new.path == f"archive/{slug}/kt/kt-0001-runbook"


# The pure rules of the exit; they belong in tests/models/test_exit_rules.py.


def usd(*amounts: int) -> list[Money]:
    return [Money(amount=a, currency="USD") for a in amounts]


@pytest.mark.parametrize(
    ("invoiced", "booked", "says"),
    [
        (
            usd(11920),
            usd(11000, 920),
            "invoiced 11,920.00 USD, 4.9% over the 11,360.00 ladder estimate, within the "
            "13,500.00 budget; timesheets total 11,920.00 USD, matching the invoices.",
        ),
        (usd(14000), usd(14500), "over the 13,500.00 budget but within the 15,500.00 cap"),
        (usd(14000), usd(14500), "timesheets total 14,500.00 USD: 500.00 booked but not yet"),
        (usd(16000), usd(16000), "OVER the 15,500.00 cap by 500.00"),
        (usd(900) + [Money(amount=50, currency="EUR")], usd(900), "in EUR are left out"),
    ],
)
def test_reconciliation_explains_the_final_invoice(
    invoiced: list[Money], booked: list[Money], says: str
) -> None:
    plan = require_valid(load_plan(EXAMPLES / "helpdesk-takeover.yaml", Settings().policy))
    result = reconcile(plan, 1, invoiced, booked)
    assert says in result.explanation
    assert result.difference == result.invoiced - 11360


def test_polls_back_off_within_the_wait_and_names_stay_inside_the_archive() -> None:
    assert poll_delays(1.0) == pytest.approx([0.05, 0.1, 0.2, 0.4, 0.25])
    assert poll_delays(0) == []
    assert archive_name("../../etc", "Pass/wd") == "etc-pass-wd"
    assert archive_name("ex-0001", suffix=".zip") == "ex-0001.zip"
    assert archive_name("kt-0002", "エスカレーション手順") == "kt-0002-エスカレーション手順"
    assert archive_name("kt-0003", "Инструкция / v2") == "kt-0003-инструкция-v2"
