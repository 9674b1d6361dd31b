"""`trials decide` refusals: each one line and exit 1, with nothing changed."""

from __future__ import annotations

from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from models.phases import Phase
from models.tables import AuditEntry, Decision, Trial
from store.db import read_session, write_session
from store.phases import change_phase
from tests.conftest import EXAMPLES, VALID_PLAN

runner = CliRunner()
HELPDESK = "acme-helpdesk-2026q4"
NO_EXPANSION = "pilot-desk"


@pytest.fixture
def trials(settings: Settings, tmp_path: Path) -> Settings:
    """The helpdesk trial waiting at evaluation, and a plan without expansion as a draft."""
    plain = tmp_path / "plain.yaml"
    plain.write_text(VALID_PLAN)
    for plan in (EXAMPLES / "helpdesk-takeover.yaml", plain):
        assert runner.invoke(app, ["create", str(plan)]).exit_code == 0
    to_evaluating(settings, HELPDESK)
    return settings


def to_evaluating(settings: Settings, slug: str) -> None:
    with write_session(settings) as session:
        for phase in (Phase.ONBOARDING, Phase.PILOTING, Phase.EVALUATING):
            change_phase(session=session, slug=slug, to=phase, actor="tester", reason="setup")


def refused(settings: Settings, *argv: str) -> str:
    """Run `trials decide`; check it exits 1 with one line and changes nothing."""
    before = state(settings)
    result = runner.invoke(app, ["decide", *argv])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.output.startswith("Error: ")
    assert state(settings) == before
    return result.output


def state(settings: Settings) -> tuple[list[tuple[str, str]], int, int]:
    with read_session(settings) as session:
        phases = [(t.slug, t.phase) for t in session.exec(select(Trial))]
        decisions = len(session.exec(select(Decision)).all())
        audit = len(session.exec(select(AuditEntry)).all())
    return sorted(phases), decisions, audit


def test_an_unknown_trial(trials: Settings) -> None:
    assert "No trial 'nope' in the store" in refused(trials, "nope", "exit", "--reason", "late")


def test_an_empty_reason(trials: Settings) -> None:
    assert "The reason is empty" in refused(trials, HELPDESK, "exit", "--reason", "   ")


def test_a_trial_not_waiting_for_a_decision(trials: Settings) -> None:
    output = refused(trials, NO_EXPANSION, "exit", "--reason", "too slow")
    assert "is draft: no decision is waiting" in output


def test_a_choice_of_the_other_gate(trials: Settings) -> None:
    output = refused(trials, HELPDESK, "approve", "--reason", "fine")
    assert "'approve' is not a choice at the evaluation gate: decide expand" in output


def test_expand_with_no_expansion_in_the_plan(trials: Settings) -> None:
    to_evaluating(trials, NO_EXPANSION)
    assert "cannot expand" in refused(trials, NO_EXPANSION, "expand", "--reason", "good work")


def test_no_prefect_server_says_how_to_start_one(trials: Settings) -> None:
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        output = refused(trials, HELPDESK, "extend", "--reason", "one more month")
    assert "Cannot reach the Prefect API at http://127.0.0.1:9/api" in output
    assert "trials server" in output
