"""The service commands with no Prefect server to talk to: one paragraph, exit 1."""

from __future__ import annotations

import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from tests.conftest import EXAMPLES

runner = CliRunner()
HELPDESK = "acme-helpdesk-2026q4"


@pytest.fixture
def stored(settings: Settings) -> Settings:
    assert runner.invoke(app, ["create", str(EXAMPLES / "helpdesk-takeover.yaml")]).exit_code == 0
    return settings


@pytest.mark.parametrize("argv", [["start", HELPDESK], ["deploy"], ["worker"]])
def test_no_server_says_how_to_start_one(stored: Settings, argv: list[str]) -> None:
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        result = runner.invoke(app, argv)
    assert result.exit_code == 1, result.output
    assert result.output.startswith("Error: No Prefect server answers at http://127.0.0.1:9/api")
    assert "`trials server`" in result.output and "Traceback" not in result.output


def test_start_refuses_an_unknown_trial_before_asking_prefect(stored: Settings) -> None:
    result = runner.invoke(app, ["start", "nope"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: No trial 'nope' in the store")


def test_status_without_a_server_still_shows_the_trials(
    stored: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")  # a server named, and down
    with temporary_settings({PREFECT_API_URL: "http://127.0.0.1:9/api"}):
        result = runner.invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert HELPDESK in result.output and "draft" in result.output
    assert "No Prefect server answers at http://127.0.0.1:9/api" in result.output
