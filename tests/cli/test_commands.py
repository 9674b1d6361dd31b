"""The `trials` commands as a user runs them: output, exit codes, and what reaches the store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from config import Settings
from store import migrate
from store.listing import list_trials
from tests.conftest import EXAMPLES, VALID_PLAN, line_of

runner = CliRunner()
HELPDESK = str(EXAMPLES / "helpdesk-takeover.yaml")
CLOUD = str(EXAMPLES / "cloud-migration.yaml")


def test_validate_accepts_the_examples_and_prints_totals(settings: Settings) -> None:
    result = runner.invoke(app, ["validate", HELPDESK, CLOUD])
    assert result.exit_code == 0, result.output
    assert "valid  " in result.stdout and "invalid" not in result.stdout
    assert "13,064.00" in result.stdout and "21,302.40" in result.stdout  # required amounts
    assert "Expansion budget (USD)" in result.stdout


def test_validate_refuses_a_vague_plan_with_file_and_line(settings: Settings, write_plan) -> None:  # type: ignore[no-untyped-def]
    bad = write_plan(replace=("    target: 30\n", "    target: fast\n"))
    result = runner.invoke(app, ["validate", HELPDESK, str(bad)])
    assert result.exit_code == 1
    assert f"{bad}:{line_of(bad, 'target: fast')}: error: expectations[0].target:" in result.stdout
    assert "Traceback" not in result.output


def test_validate_json_is_machine_readable(settings: Settings, write_plan) -> None:  # type: ignore[no-untyped-def]
    bad = write_plan(replace=("  cap: 14000\n", "  cap: 12000\n"))
    result = runner.invoke(app, ["validate", "--json", HELPDESK, str(bad)])
    assert result.exit_code == 1
    good, refused = json.loads(result.stdout)
    assert good["valid"] and good["trial"] == "acme-helpdesk-2026q4" and good["errors"] == []
    assert good["totals"]["required"] == "13064.00" and good["totals"]["headroom"] == "2436.00"
    assert not refused["valid"]
    assert [(e["field"], e["line"]) for e in refused["errors"]] == [
        ("budget.cap", line_of(bad, "cap: 12000"))
    ]


def test_validate_a_missing_file_exits_1(settings: Settings, tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 1 and "cannot read the plan file" in result.stdout


def test_usage_errors_exit_2(settings: Settings) -> None:
    assert runner.invoke(app, ["validate"]).exit_code == 2
    assert runner.invoke(app, ["list", "--phase", "sideways"]).exit_code == 2


def test_create_list_show(settings: Settings) -> None:
    created = runner.invoke(app, ["create", HELPDESK])
    assert created.exit_code == 0, created.output
    assert "Stored trial acme-helpdesk-2026q4 as a draft: 3 rungs" in created.stdout
    assert runner.invoke(app, ["create", CLOUD]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["list", "--json"]).stdout)
    assert sorted(t["slug"] for t in listed) == [
        "acme-helpdesk-2026q4",
        "nimbus-cloud-migration-2027",
    ]
    table = runner.invoke(app, ["list"]).stdout
    assert "2 trial(s)" in table and "draft" in table
    shown = runner.invoke(app, ["show", "acme-helpdesk-2026q4", "--json"])
    detail = json.loads(shown.stdout)
    assert detail["trial"]["phase"] == "draft" and len(detail["rungs"]) == 3
    assert detail["audit"][0]["action"] == "created" and detail["audit"][0]["actor"] == "tester"
    human = runner.invoke(app, ["show", "acme-helpdesk-2026q4"]).stdout
    assert "Pilot ladder" in human and "knowledge_transfer" in human
    assert "webhooks: the vendor signs and sends them to /webhooks/acme-managed-services" in human


def test_create_refuses_a_duplicate_in_one_paragraph(settings: Settings) -> None:
    runner.invoke(app, ["create", HELPDESK])
    again = runner.invoke(app, ["create", HELPDESK])
    assert again.exit_code == 1
    assert again.stderr.startswith("Error: A trial 'acme-helpdesk-2026q4' is already stored.")
    assert "Traceback" not in again.output


def test_an_invalid_plan_writes_nothing(settings: Settings, write_plan) -> None:  # type: ignore[no-untyped-def]
    bad = write_plan(replace=("exit_plan:\n", "exit_plann:\n"))
    result = runner.invoke(app, ["create", str(bad)])
    assert result.exit_code == 1
    assert "did you mean 'exit_plan'" in result.stderr
    assert list_trials(settings.store_url).total == 0


def test_show_an_unknown_trial_exits_1(settings: Settings) -> None:
    result = runner.invoke(app, ["show", "ghost-trial"])
    assert result.exit_code == 1 and "No trial 'ghost-trial'" in result.stderr


def test_init_writes_a_plan_that_validates(settings: Settings, tmp_path: Path) -> None:
    target = tmp_path / "mine.yaml"
    assert runner.invoke(app, ["init", str(target)]).exit_code == 0
    assert "# Expectations must be measurable" in target.read_text()
    assert runner.invoke(app, ["validate", str(target)]).exit_code == 0
    refused = runner.invoke(app, ["init", str(target)])
    assert refused.exit_code == 1 and "--force" in refused.stderr


def test_list_on_a_fresh_store_says_so(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRIALS_DATABASE_URL", f"sqlite:///{tmp_path / 'fresh.db'}")
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0 and "No trials stored yet" in result.stdout
    shown = runner.invoke(app, ["show", "x"])
    assert shown.exit_code == 1 and "trials db upgrade" in shown.stderr


def test_an_unreachable_store_is_one_clear_line(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv(
        "TRIALS_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/trials?connect_timeout=2"
    )
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot use the state store at postgresql")
    assert "TRIALS_DATABASE_URL" in result.stderr


def test_db_commands_report_the_revision(settings: Settings) -> None:
    newest = migrate.head()
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 0 and f"revision {newest}, newest {newest}" in current.stdout
    refused = runner.invoke(app, ["db", "downgrade", "base"], input="n\n")
    assert refused.exit_code == 1 and "lose their data" in refused.stdout
    assert migrate.current(settings) == newest
    assert runner.invoke(app, ["db", "downgrade", "base", "--yes"]).exit_code == 0
    assert "revision none (run `trials db upgrade`)" in runner.invoke(app, ["db", "current"]).stdout
    upgraded = runner.invoke(app, ["db", "upgrade"])
    assert upgraded.exit_code == 0 and f"revision {newest}, newest" in upgraded.stdout


def test_an_unknown_revision_is_refused_plainly(settings: Settings) -> None:
    result = runner.invoke(app, ["db", "upgrade", "9999"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Cannot migrate to '9999'")
    assert "Use 'head', 'base' or one of the revisions" in result.stderr


def test_an_unsupported_store_url_is_a_configuration_error(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("TRIALS_DATABASE_URL", "bogus://x")
    result = runner.invoke(app, ["create", HELPDESK])
    assert result.exit_code == 1
    assert "Invalid configuration: TRIALS_DATABASE_URL" in result.stderr
    assert "postgresql+psycopg://" in result.stderr


def test_a_data_dir_that_is_a_file_is_named(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("")
    monkeypatch.delenv("TRIALS_DATABASE_URL", raising=False)
    monkeypatch.setenv("TRIALS_DATA_DIR", str(blocker))
    created = runner.invoke(app, ["create", HELPDESK])
    assert created.exit_code == 1
    assert f"Cannot create the data directory {blocker}" in created.stderr
    assert "TRIALS_DATA_DIR" in created.stderr


def test_plan_text_is_printed_as_written(settings: Settings, write_plan) -> None:  # type: ignore[no-untyped-def]
    plan = write_plan(replace=("title: Pilot helpdesk", 'title: "Desk [/x] [bold]pilot"'))
    assert runner.invoke(app, ["create", str(plan)]).exit_code == 0
    shown = runner.invoke(app, ["show", "pilot-desk"])
    assert shown.exit_code == 0 and "pilot-desk: Desk [/x] [bold]pilot" in shown.stdout
    missing_exit = write_plan(VALID_PLAN[: VALID_PLAN.index("exit_plan:")])
    result = runner.invoke(app, ["validate", str(missing_exit)])
    assert "steps: [knowledge_transfer, data_return, access_revocation, final_invoice]}" in (
        result.stdout
    )
