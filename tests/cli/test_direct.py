"""`trials direct`: bad input changes nothing; a directive is recorded, then forwarded once."""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlmodel import func, select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from models.tables import Directive, VendorEffect
from planfile import load_plan, require_valid
from simulator.config import SimulatorConfig
from store.db import read_session, write_session
from store.trials import create_trial
from tests.conftest import VALID_PLAN, StartSimulator

runner = CliRunner()
SLUG = "pilot-desk"
StoreDesk = Callable[[str], str]


@pytest.fixture
def desk(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> StoreDesk:
    """Store the test plan as a trial whose vendor is at `base_url`; return that URL."""
    monkeypatch.setenv("DESK_TOKEN", "sim-token")

    def store(base_url: str) -> str:
        plan_file = tmp_path / "desk.yaml"
        plan_file.write_text(VALID_PLAN.replace("http://127.0.0.1:8765", base_url))
        plan = require_valid(load_plan(plan_file, settings.policy))
        with write_session(settings) as session:
            create_trial(session=session, plan=plan, actor="tester")
        return base_url

    return store


def counts(settings: Settings) -> tuple[int, int]:
    """Directive rows and intent rows in the store."""
    with read_session(settings) as session:
        directives = session.exec(select(func.count()).select_from(Directive)).one()
        effects = session.exec(select(func.count()).select_from(VendorEffect)).one()
    return directives, effects


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["no-such-trial", "Use Jira", "--area", "tooling", "--because", "SSO"], "No trial"),
        ([SLUG, "Use Jira", "--area", "catering"], "in neither authority list"),
        ([SLUG, "   ", "--area", "budget"], "has no text"),
        ([SLUG, "", "--area", "budget"], "has no text"),
        ([SLUG, "Use Jira", "--area", "Tooling"], "An override needs a justification"),
        ([SLUG, "Use Jira", "--area", "tooling", "--because", " "], "needs a justification"),
    ],
)
def test_bad_input_is_refused_in_one_paragraph_and_changes_nothing(
    settings: Settings, desk: StoreDesk, args: list[str], says: str
) -> None:
    desk(closed_port())
    result = runner.invoke(app, ["direct", *args])
    assert result.exit_code == 1, result.output
    assert says in result.stderr and result.stderr.startswith("Error: ")
    assert result.stderr.strip().count("\n") == 0  # one paragraph
    assert "Traceback" not in result.output
    assert counts(settings) == (0, 0)


def test_a_missing_token_refuses_before_anything_is_recorded(
    settings: Settings, desk: StoreDesk, monkeypatch: pytest.MonkeyPatch
) -> None:
    desk(closed_port())
    monkeypatch.delenv("DESK_TOKEN")
    result = runner.invoke(app, ["direct", SLUG, "Answer finance first", "--area", "budget"])
    assert result.exit_code == 1 and "DESK_TOKEN is not set" in result.stderr
    assert counts(settings) == (0, 0)


def test_a_directive_is_forwarded_once_however_often_it_is_given(
    settings: Settings, desk: StoreDesk, simulator_server: StartSimulator
) -> None:
    base = desk(simulator_server(SimulatorConfig(seconds_per_day=1000)))
    args = ["direct", SLUG, "Use Jira for the queue", "--area", "Tooling", "--because", "SSO"]
    first = runner.invoke(app, [*args, "--by", "it-lead"])
    assert first.exit_code == 0, first.output
    assert "an override of the vendor's area 'tooling' (because: SSO)" in first.stdout
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "Nothing was sent again" in again.stdout
    with read_session(settings) as session:
        (row,) = session.exec(select(Directive)).all()
        (effect,) = session.exec(select(VendorEffect)).all()
    assert (row.area, row.classification, row.justification, row.issued_by) == (
        "tooling",
        "override",
        "SSO",
        "it-lead",
    )
    assert row.vendor_ref is not None and row.vendor_ref in first.stdout
    assert (effect.key, effect.kind, effect.status) == (row.idempotency_key, "directive", "done")
    ledger = httpx.get(f"{base}/admin/ledger").json()
    assert ledger["effects"]["directives"] == 1


def test_an_unreachable_vendor_leaves_it_recorded_and_a_rerun_forwards_it(
    settings: Settings,
    desk: StoreDesk,
    simulator_server: StartSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "2")
    down = desk(closed_port())
    args = ["direct", SLUG, "Answer the finance team first", "--area", "acceptance criteria"]
    result = runner.invoke(app, args)
    assert result.exit_code == 4, result.output
    assert "recorded but not forwarded" in result.stderr and "again" in result.stderr
    assert "Traceback" not in result.output
    assert counts(settings) == (1, 1)
    with read_session(settings) as session:
        assert session.exec(select(Directive.vendor_ref)).one() is None

    base = simulator_server(SimulatorConfig(seconds_per_day=1000))
    with write_session(settings) as session:  # the vendor is back, at a new address
        from models.tables import Vendor

        vendor = session.exec(select(Vendor)).one()
        vendor.base_url = base
        session.add(vendor)
    assert down != base
    retried = runner.invoke(app, args)
    assert retried.exit_code == 0, retried.output
    assert "a directive in the client's area 'acceptance criteria'" in retried.stdout
    assert "recorded by an earlier attempt" in retried.stdout
    assert counts(settings) == (1, 1)
    assert httpx.get(f"{base}/admin/ledger").json()["effects"]["directives"] == 1


def test_show_lists_the_directives(
    settings: Settings, desk: StoreDesk, simulator_server: StartSimulator
) -> None:
    desk(simulator_server(SimulatorConfig(seconds_per_day=1000)))
    runner.invoke(app, ["direct", SLUG, "Use Jira", "--area", "tooling", "--because", "SSO"])
    runner.invoke(app, ["direct", SLUG, "Finance first", "--area", "acceptance criteria"])
    shown = runner.invoke(app, ["show", SLUG])
    assert shown.exit_code == 0, shown.output
    assert "Directives: 1 of 2 override the vendor's areas" in shown.stdout
    assert "Use Jira" in shown.stdout and "SSO" in shown.stdout
