"""Shared fixtures: an isolated state store per test, and plan files to check.

The store is SQLite unless TRIALS_TEST_DATABASE_URL names a PostgreSQL server; then
the run creates a throwaway database there, migrates it once, and drops it at the end.
Every store test runs unchanged against either.
"""

from __future__ import annotations

import inspect
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    FlowRunFilter,
    FlowRunFilterState,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from prefect.context import _temporary_global_settings_context, get_settings_context
from prefect.events.worker import EventsWorker
from prefect.logging.handlers import APILogWorker
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW,
    temporary_settings,
)
from prefect.states import Cancelled
from prefect.utilities.asyncutils import run_coro_as_sync
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from config import Settings
from simulator.app import create_app
from simulator.config import SimulatorConfig
from simulator.serve import serve, wait_healthy
from store import migrate
from store.db import get_engine
from tests.redmine import Redmine, build_template, redmine_server
from tests.servers import prefect_server_on_postgres

SERVER_URL = os.environ.get("TRIALS_TEST_DATABASE_URL", "")
TABLES = (
    "bakeoff_trial",
    "bakeoff",
    "engagement_budget",
    "exit_rehearsal",
    "budget_alert",
    "escalation",
    "webhook_event",
    "stored_file",
    "vendor_effect",
    "audit_log",
    "exit_step",
    "decision",
    "directive",
    "cost_entry",
    "measurement",
    "expectation",
    "pilot_task",
    "trial",
    "vendor",
)
EXAMPLES = Path(__file__).parent.parent / "examples"
# Time under test is set, not waited for: a run paused at a gate sees an answer within
# 0.2 s instead of 2 s. Commands the tests start as processes inherit it.
os.environ.setdefault("TRIALS_GATE_POLL_SECONDS", "0.2")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `store` every test that uses the state store, so the PostgreSQL pass picks it,
    and `redmine` every test that uses the session's Redmine."""
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "store_template" in fixtures:
            item.add_marker(pytest.mark.store)
        if "redmine_template" in fixtures:
            item.add_marker(pytest.mark.redmine)


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database for the session: a SQLite file to copy, or a PostgreSQL URL."""
    if not SERVER_URL:
        url = f"sqlite:///{tmp_path_factory.mktemp('template') / 'trials.db'}"
        migrate.upgrade("head", Settings(database_url=url))
        get_engine(Settings(database_url=url)).dispose()  # checkpoints the WAL into the file
        yield url
        return
    server = make_url(SERVER_URL)
    name = f"trials_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade("head", Settings(database_url=url))
        yield url
    finally:
        get_engine(Settings(database_url=url)).dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_store(store_template: str, directory: Path, environment: pytest.MonkeyPatch) -> Settings:
    """Settings on an empty migrated store whose files live in `directory`; the environment
    points at it too, so commands the test starts as processes use the same store."""
    if store_template.startswith("sqlite"):
        db = directory / "trials.db"
        shutil.copy(make_url(store_template).database or "", db)
        url = f"sqlite:///{db}"
    else:
        url = store_template
        _empty(url)
    environment.setenv("TRIALS_DATABASE_URL", url)
    environment.setenv("TRIALS_DATA_DIR", str(directory / "data"))
    environment.setenv("TRIALS_ACTOR", "tester")
    return Settings()


@pytest.fixture
def settings(store_template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings for one test, on an empty migrated store; the environment points at it too."""
    return empty_store(store_template, tmp_path, monkeypatch)


def _empty(url: str) -> None:
    with get_engine(Settings(database_url=url)).begin() as connection:
        connection.execute(text(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE"))


VALID_PLAN = """\
trial: pilot-desk
title: Pilot helpdesk
vendor:
  name: Desk Co
  api:
    base_url: http://127.0.0.1:8765
    token:
      env: DESK_TOKEN
currency: USD
rate_card:
  engineer: 100
  lead: 150
budget:
  estimate: 12600
  contingency: 0.15
  cap: 14000
authority:
  client_decides: [acceptance criteria, budget]
  vendor_decides: [tooling, staffing]
expectations:
  - id: first-response
    metric: p90_first_response_minutes
    comparator: "<="
    target: 30
    unit: minutes
    source: vendor_metrics
    holds_from: rung-2
    weight: 3
  - id: runbooks
    metric: runbook_pages
    comparator: ">="
    target: 10
    unit: pages
    source: deliverables
    measure: {pages: "runbooks/*.md"}
    holds_from: rung-3
pilot:
  - id: rung-1
    title: Reset passwords for finance
    hours:
      engineer: 8
    due_in_days: 5
  - id: rung-2
    title: Migrate shared mailboxes
    hours:
      engineer: 20
      lead: 4
    due_in_days: 10
  - id: rung-3
    title: Run L1 for one office
    hours:
      engineer: 60
      lead: 10
    due_in_days: 21
gates:
  expand_at_score: 0.8
  exit_below_score: 0.6
exit_plan:
  notice_days: 14
  steps: [knowledge_transfer, data_return, access_revocation, final_invoice]
"""


@pytest.fixture
def write_plan(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write plan text to a file; with `replace`, swap one snippet for another first."""
    counter = iter(range(1000))

    def write(text: str = VALID_PLAN, replace: tuple[str, str] | None = None) -> Path:
        if replace is not None:
            assert replace[0] in text, f"snippet {replace[0]!r} is not in the plan"
            text = text.replace(replace[0], replace[1], 1)
        path = tmp_path / f"plan-{next(counter)}.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    return write


def line_of(path: Path, snippet: str, occurrence: int = 1) -> int:
    """The 1-based line of the n-th occurrence of `snippet` in a file."""
    lines = [n for n, line in enumerate(path.read_text().splitlines(), start=1) if snippet in line]
    assert len(lines) >= occurrence, f"{snippet!r} occurs {len(lines)} times in {path}"
    return lines[occurrence - 1]


StartSimulator = Callable[[SimulatorConfig], str]


@pytest.fixture
def simulator_server() -> Iterator[StartSimulator]:
    """Start a simulator for a config and return its base URL; every one stops after the test."""
    with ExitStack() as running:

        def start(config: SimulatorConfig) -> str:
            base_url = running.enter_context(serve(create_app(config)))
            wait_healthy(base_url)
            return base_url

        yield start


@pytest.fixture(scope="session")
def prefect_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A Prefect server for the session, on a PostgreSQL database of its own, persisting
    events quickly; this process and the commands it starts use it.

    Not Prefect's test harness, whose temporary server keeps its state in SQLite: there a
    write that collides with another is answered 503 and Prefect's client waits 2 s (then
    4, 8...) before trying again, which here was one vendor call in two of a flow test and
    most of the test's time. The SQLite-backed server is what `trials server` runs by
    default, and the browser and service tests run on that.
    """
    with (
        prefect_server_on_postgres(
            tmp_path_factory.mktemp("prefect"),
            PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL="0.2",
        ) as env,
        pytest.MonkeyPatch.context() as patch,
        temporary_settings(
            {
                PREFECT_API_URL: env["PREFECT_API_URL"],
                PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW: "ignore",
            }
        ),
        # As Prefect's own harness does: threads that start with a fresh context (the
        # webhook receiver's server, say) see the server too.
        _temporary_global_settings_context(get_settings_context()),
    ):
        patch.setenv("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
        yield
        run_coro_as_sync(_drain())  # send what is queued while the server still answers


@pytest.fixture(autouse=True)
def _no_paused_run_outlives_its_test(request: pytest.FixtureRequest) -> Iterator[None]:
    """Cancel, after each test on the session's Prefect server, the runs it left paused.

    The tests store trials of the same slugs, and `trials decide` resumes the run paused
    at the trial's gate: one left by an earlier test would take the next test's answer.
    """
    yield
    if "prefect_api" not in request.fixturenames:
        return
    with get_client(sync_client=True) as client:
        for run in client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.PAUSED]))
            )
        ):
            client.set_flow_run_state(run.id, Cancelled(), force=True)


async def _drain() -> None:
    """Send the log lines and events this process still holds to the Prefect server."""
    for drained in (_drain_logs(), EventsWorker.drain_all()):
        if inspect.isawaitable(drained):
            await drained


def _drain_logs() -> object:
    try:
        return APILogWorker.instance().drain()
    except RuntimeError:  # the worker never started
        return None


@pytest.fixture(scope="session")
def redmine_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Redmine database built once per test process (migrated, default data, REST API on)."""
    return build_template(tmp_path_factory.mktemp("redmine-template"))


@pytest.fixture(scope="session")
def redmine(redmine_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redmine]:
    """Redmine served on a free port for the session, on a copy of the template."""
    with redmine_server(redmine_template, tmp_path_factory.mktemp("redmine")) as server:
        yield server


@pytest.fixture
def redmine_project(redmine: Redmine) -> str:
    """A project of this test's own on the session's Redmine; its identifier."""
    return redmine.new_project()
