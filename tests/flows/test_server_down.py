"""The Prefect server down during a monitor round: the round fails saying where and what to
do, no trial's news is taken without a run started for it, no escalation is taken for
announced when its event could not be sent, and the next round, once the server answers
again on the same database, starts the trials and announces what the failed one did not."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, PREFECT_CLIENT_MAX_RETRIES, temporary_settings
from prefect.utilities.asyncutils import run_coro_as_sync
from sqlmodel import Session, col, select

from config import Settings
from flows.monitor import monitor
from models.errors import TrialsError
from models.monitor import Concern, Escalation
from models.phases import Phase
from models.tables import RaisedEscalation, Trial
from store.db import read_session, write_session
from store.monitor import raise_escalations, unannounced
from store.phases import change_phase
from store.trials import set_waiting_for
from tasks import deployments
from tasks.deployments import StartedRun
from tests.conftest import _drain as drain
from tests.flows.conftest import StoreTrial, events_about
from tests.flows.test_service import trial_runs, trials
from tests.servers import PrefectServer, restartable_prefect_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def deployed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrefectServer]:
    """A Prefect server of this module's own, on SQLite in its home, which the tests kill
    and start again; prefect.yaml's deployments registered once by `trials deploy`."""
    with restartable_prefect_server(
        tmp_path_factory.mktemp("server"),
        PREFECT_SERVER_SERVICES_EVENT_PERSISTER_FLUSH_INTERVAL="0.2",
    ) as server:
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            done = trials("deploy")
        assert done.returncode == 0, done.stderr + done.stdout
        yield server
        # Send what this process still holds for the server while it answers: at exit,
        # Prefect tries each event queued for a server gone for 7 s, one after the other.
        if server.process is None or server.process.poll() is not None:
            server.start()
        with temporary_settings({PREFECT_API_URL: server.api_url}):
            run_coro_as_sync(drain())


@pytest.fixture
def server(deployed_server: PrefectServer) -> Iterator[PrefectServer]:
    """The module's server, answering, and this process's Prefect client on it with one retry
    of a failed call (2 s) instead of five (about a minute), so that a round fails quickly."""
    if deployed_server.process is None or deployed_server.process.poll() is not None:
        deployed_server.start()
    with temporary_settings(
        {PREFECT_API_URL: deployed_server.api_url, PREFECT_CLIENT_MAX_RETRIES: 1}
    ):
        yield deployed_server


def waiting_trials(settings: Settings, stored_trial: StoreTrial, prefix: str) -> list[str]:
    """Three started trials waiting on their vendor, never carried on by the monitor: each
    has news (`first`) and nothing else."""
    slugs = [stored_trial(slug=f"{prefix}-{n}") for n in "abc"]
    with write_session(settings) as session:
        for slug in slugs:
            change_phase(session=session, slug=slug, to=Phase.ONBOARDING, actor="t", reason="t")
            set_waiting_for(session=session, slug=slug, what="vendor to deliver rung-1")
    return slugs


def carried_on(settings: Settings, slugs: list[str]) -> dict[str, bool]:
    """Whether the store records each trial as carried on by the monitor."""
    with read_session(settings) as session:
        rows = session.exec(
            select(Trial.slug, Trial.carried_on_at).where(col(Trial.slug).in_(slugs))
        ).all()
    return {slug: at is not None for slug, at in rows}


async def runs_per_trial(slugs: list[str]) -> dict[str, int]:
    return {slug: len(await trial_runs(slug)) for slug in slugs}


class Lines(logging.Handler):
    """The log lines of a logger, as its handlers see them."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def what_the_round_said(failure: BaseException) -> str:
    """The project's message in the failure or in what it led to: Prefect's engine, unable
    to report the run Failed to a server that is down, raises its own error from it."""
    pending, seen = [failure], set()
    while pending:
        exc = pending.pop()
        if isinstance(exc, TrialsError):
            return str(exc)
        seen.add(id(exc))
        pending += [e for e in (exc.__cause__, exc.__context__) if e and id(e) not in seen]
    raise AssertionError(f"no TrialsError in or behind {failure!r}")


async def test_a_round_whose_server_stops_after_one_start_fails_and_the_next_starts_the_rest(
    settings: Settings,
    stored_trial: StoreTrial,
    server: PrefectServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slugs = waiting_trials(settings, stored_trial, "stops")
    start = deployments.start_trial_run

    async def start_then_stop_the_server(slug: str) -> StartedRun:
        started = await start(slug)
        server.kill()  # as when its machine dies, right after the first start
        return started

    monkeypatch.setattr(deployments, "start_trial_run", start_then_stop_the_server)
    logged = Lines()
    logging.getLogger("prefect.flow_runs").addHandler(logged)
    began = time.monotonic()
    try:
        with pytest.raises(Exception) as failed:
            await monitor(advance="deployment")
    finally:
        logging.getLogger("prefect.flow_runs").removeHandler(logged)
    took = time.monotonic() - began
    monkeypatch.setattr(deployments, "start_trial_run", start)

    said = what_the_round_said(failed.value)
    assert said.startswith(f"The Prefect server at {server.api_url} did not answer the start")
    assert "'stops-b'" in said and "`trials server`" in said and "next round" in said
    # The monitor's run logs it where its worker shows it (the API is down for its logs).
    assert any(said in line for line in logged.lines), logged.lines
    assert took < 60, f"the round took {took:.0f} s to fail"
    # The trial started is recorded; the others keep their news.
    assert carried_on(settings, slugs) == {"stops-a": True, "stops-b": False, "stops-c": False}

    server.start()  # the same database
    assert await runs_per_trial(slugs) == {"stops-a": 1, "stops-b": 0, "stops-c": 0}
    assert await monitor(advance="deployment") == {"active": 3, "escalated": 0, "advanced": 2}
    assert await runs_per_trial(slugs) == {"stops-a": 1, "stops-b": 1, "stops-c": 1}
    assert carried_on(settings, slugs) == dict.fromkeys(slugs, True)
    # And a round after that, with no news, starts nothing.
    assert await monitor(advance="deployment") == {"active": 3, "escalated": 0, "advanced": 0}


async def test_a_round_with_the_server_down_from_the_start_changes_nothing(
    settings: Settings, stored_trial: StoreTrial, server: PrefectServer
) -> None:
    slugs = waiting_trials(settings, stored_trial, "down")
    server.kill()
    began = time.monotonic()
    # Prefect's engine cannot create the monitor's run, and fails before any of its steps:
    # "Failed to reach API at URL" from a new process, the connection's error from one
    # whose client reached the server before.
    with pytest.raises((RuntimeError, httpx.ConnectError)):
        await monitor(advance="deployment")
    took = time.monotonic() - began
    assert took < 60, f"the round took {took:.0f} s to fail"
    assert carried_on(settings, slugs) == dict.fromkeys(slugs, False)

    server.start()
    assert await monitor(advance="deployment") == {"active": 3, "escalated": 0, "advanced": 3}
    assert await runs_per_trial(slugs) == dict.fromkeys(slugs, 1)


async def test_a_round_whose_server_stops_before_it_announces_leaves_the_escalation_to_the_next(
    settings: Settings,
    stored_trial: StoreTrial,
    server: PrefectServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slugs = waiting_trials(settings, stored_trial, "quiet")
    with write_session(settings) as session:  # as a round that stopped after recording it
        trial = session.exec(select(Trial).where(Trial.slug == "quiet-a")).one()
        assert trial.id is not None
        silent = Escalation(key="silent:e1:rung-1", concern=Concern.SILENT, message="No word")
        assert raise_escalations(session=session, trial_id=trial.id, found=[silent]) == 1
    read = unannounced  # the store's read, which the monitor's task makes

    def read_then_stop_the_server(*, session: Session) -> list[tuple[int, str, Escalation]]:
        found = read(session=session)
        server.kill()
        return found

    monkeypatch.setattr("tasks.monitor.unannounced", read_then_stop_the_server)
    with pytest.raises(Exception) as failed:
        await monitor(advance="deployment")
    monkeypatch.setattr("tasks.monitor.unannounced", read)

    said = what_the_round_said(failed.value)
    assert said.startswith(f"The Prefect server at {server.api_url} does not answer")
    assert "before it announces 1 escalation(s), which stay unannounced" in said
    assert "`trials server`" in said
    assert announced(settings) == [False]
    assert carried_on(settings, slugs) == dict.fromkeys(slugs, False)

    server.start()
    since = datetime.now(UTC)
    assert await monitor(advance="deployment") == {"active": 3, "escalated": 0, "advanced": 3}
    assert announced(settings) == [True]
    [event] = await events_about("trials.escalation.raised", "quiet-a", since, expected=1)
    assert event.payload["key"] == "silent:e1:rung-1"
    assert await runs_per_trial(slugs) == dict.fromkeys(slugs, 1)


def announced(settings: Settings) -> list[bool]:
    """Whether each escalation in the store is recorded as announced."""
    with read_session(settings) as session:
        return [at is not None for at in session.exec(select(RaisedEscalation.emitted_at))]
