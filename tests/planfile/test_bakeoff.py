"""Bake-off files: one plan per vendor on shared terms, and each refusal at its file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from models.checks import PlanPolicy
from models.errors import PlanError
from planfile.bakeoff import BakeoffReport, load_any, load_bakeoff
from planfile.loader import LocatedFinding
from tests.conftest import EXAMPLES, line_of

BAKEOFF = EXAMPLES / "bakeoffs" / "helpdesk.yaml"
ACME = "    api: {base_url: http://127.0.0.1:8765, token: {env: ACME_API_TOKEN}}\n"
BRIGHT = "    api: {base_url: http://127.0.0.1:8766, token: {env: BRIGHTDESK_API_TOKEN}}\n"
runner = CliRunner()


@pytest.fixture
def bakeoff_file(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write the example bake-off with one snippet swapped for another."""

    def write(old: str, new: str) -> Path:
        text = BAKEOFF.read_text()
        assert old in text, f"{old!r} is not in the bake-off"
        path = tmp_path / "bakeoff.yaml"
        path.write_text(text.replace(old, new, 1))
        return path

    return write


def only_error(path: Path) -> LocatedFinding:
    report = load_any(path, PlanPolicy())
    assert isinstance(report, BakeoffReport) and not report.ok
    found = [f for f in report.findings if f.severity == "error"]
    assert len(found) == 1, [str(f) for f in found]
    return found[0]


def test_the_example_expands_into_one_ordinary_plan_per_vendor() -> None:
    plans = load_bakeoff(BAKEOFF, PlanPolicy()).plans()
    assert list(plans) == ["acme", "brightdesk", "northwind"]
    assert [p.trial for p in plans.values()] == [
        "helpdesk-2027q1-acme",
        "helpdesk-2027q1-brightdesk",
        "helpdesk-2027q1-northwind",
    ]
    acme, northwind = plans["acme"], plans["northwind"]
    assert acme.pilot == northwind.pilot and acme.expectations == northwind.expectations
    assert acme.gates == northwind.gates and acme.exit_plan == northwind.exit_plan
    assert northwind.rate_card["engineer"] == 80 and acme.rate_card["engineer"] == 95
    assert northwind.budget.cap != acme.budget.cap and acme.authority == northwind.authority


def test_one_vendor_is_refused(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    text = BAKEOFF.read_text()
    start = text.index("  - id: brightdesk")
    path = bakeoff_file(text[start : text.index("currency: USD")], "")
    found = only_error(path)
    assert found.line == line_of(path, "vendors:") and "names 1" in found.message
    assert "ordinary trial plan" in found.fix


def test_duplicate_vendor_ids_are_refused(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file("id: brightdesk", "id: acme")
    found = only_error(path)
    assert found.line == line_of(path, "id: acme", 2) and found.field == "vendors[1].id"
    assert "used twice" in found.message and "its own id" in found.fix


def test_the_same_api_and_token_for_two_vendors_is_refused(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file(BRIGHT, ACME.replace("8765", "8765/"))
    found = only_error(path)
    assert found.line == line_of(path, "base_url", 2) and found.field == "vendors[1].api"
    assert "'acme' and 'brightdesk' use the same API" in found.message


def test_the_same_api_with_another_token_is_two_vendors(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file(BRIGHT, ACME.replace("ACME_API_TOKEN", "BRIGHTDESK_API_TOKEN"))
    assert load_bakeoff(path, PlanPolicy()).ok


def test_a_rate_card_missing_a_ladder_role_is_refused(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file("rate_card: {engineer: 80, lead: 120}", "rate_card: {engineer: 80}")
    found = only_error(path)
    assert found.line == line_of(path, "rate_card: {engineer: 80}")
    assert (
        found.message == ("vendor 'northwind' has no rate for lead, which the shared ladder uses.")
        or "no rate for lead" in found.message
    )
    assert "lead: RATE" in found.fix


@pytest.mark.parametrize("section", ["expectations", "pilot", "gates", "exit_plan"])
def test_a_vendor_with_terms_of_its_own_is_refused(bakeoff_file, section: str) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file(
        "    rate_card: {engineer: 80", f"    {section}: []\n    rate_card: {{engineer: 80"
    )
    found = only_error(path)
    assert (
        found.line == line_of(path, f"    {section}: []") and found.field == f"vendors[2].{section}"
    )
    assert "compared on the same terms" in found.message and "top level" in found.fix


def test_trial_and_vendor_keys_of_a_single_plan_are_refused(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file("title: Three", "trial: one-trial\ntitle: Three")
    found = only_error(path)
    assert found.line == line_of(path, "trial: one-trial") and "bakeoff: ID" in found.fix


def test_a_vendor_schema_error_points_at_the_vendor(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file("token: {env: BRIGHTDESK_API_TOKEN}", "token: s3cret")
    found = only_error(path)
    assert found.line == line_of(path, "token: s3cret") and found.field == "vendors[1].api.token"


def test_a_shared_mistake_is_said_once(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file("target: 30", "target: fast")
    found = only_error(path)
    assert found.line == line_of(path, "target: fast") and not found.message.startswith(
        "for vendor"
    )


def test_a_shared_budget_short_for_one_vendor_names_it(bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    own = "    rate_card: {engineer: 80, lead: 120}     # cheaper by the hour; the same ladder\n"
    own += "    budget: {estimate: 11500, contingency: 0.15, cap: 13500}\n"
    path = bakeoff_file(own, "    rate_card: {engineer: 200, lead: 300}\n")
    report = load_bakeoff(path, PlanPolicy())
    found = [f for f in report.findings if f.severity == "error"]
    assert found and not report.ok
    assert all(f.message.startswith("for vendor northwind: ") for f in found), found
    assert line_of(path, "estimate: 13500") in {f.line for f in found}


def test_an_ordinary_plan_is_not_a_bakeoff() -> None:
    report = load_bakeoff(EXAMPLES / "helpdesk-takeover.yaml", PlanPolicy())
    with pytest.raises(PlanError, match="plan for one vendor"):
        report.plans()


def test_validate_refuses_with_file_and_line_and_exit_1(settings: Settings, bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file("id: brightdesk", "id: acme")
    result = runner.invoke(app, ["validate", str(BAKEOFF), str(path)])
    assert result.exit_code == 1
    assert "bake-off helpdesk-2027q1 of 3 vendors" in result.output
    assert f"{path}:{line_of(path, 'id: acme', 2)}: error: vendors[1].id" in result.output
    assert "Traceback" not in result.output


def test_validate_json_holds_each_vendor(settings: Settings) -> None:
    result = runner.invoke(app, ["validate", "--json", str(BAKEOFF)])
    assert result.exit_code == 0, result.output
    [shown] = json.loads(result.output)
    assert shown["valid"] and shown["bakeoff"] == "helpdesk-2027q1"
    assert shown["vendors"]["northwind"]["trial"] == "helpdesk-2027q1-northwind"


def test_trials_bakeoff_refuses_bad_input(settings: Settings, bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    path = bakeoff_file("id: brightdesk", "id: acme")
    invalid = runner.invoke(app, ["bakeoff", str(path)])
    assert invalid.exit_code == 1 and "The bake-off is not valid:" in invalid.output
    assert f"{path}:{line_of(path, 'id: acme', 2)}: error: vendors[1].id" in invalid.output
    single = runner.invoke(app, ["bakeoff", str(EXAMPLES / "helpdesk-takeover.yaml")])
    assert single.exit_code == 1 and "this is a plan for one vendor" in single.output
    unknown = runner.invoke(app, ["bakeoff", "no-such-bakeoff"])
    assert unknown.exit_code == 1 and "No bake-off 'no-such-bakeoff' is stored" in unknown.output
    for result in (invalid, single, unknown):
        assert "Traceback" not in result.output


def test_a_changed_plan_for_a_stored_bakeoff_is_refused(settings: Settings, bakeoff_file) -> None:  # type: ignore[no-untyped-def]
    from store.bakeoffs import bakeoff_entries, store_bakeoff
    from store.db import read_session, write_session
    from store.migrate import ensure_schema

    ensure_schema(settings)
    plans = load_bakeoff(BAKEOFF, PlanPolicy()).plans()
    with write_session(settings) as session:
        store_bakeoff(session=session, bakeoff="helpdesk-2027q1", title="t", plans=plans, actor="t")
    with write_session(settings) as session:  # the very same plan: found stored
        store_bakeoff(session=session, bakeoff="helpdesk-2027q1", title="t", plans=plans, actor="t")
    with read_session(settings) as session:
        entries = bakeoff_entries(session=session, bakeoff="helpdesk-2027q1")
    assert [(e.vendor, e.slug, e.phase) for e in entries] == [
        ("acme", "helpdesk-2027q1-acme", "draft"),
        ("brightdesk", "helpdesk-2027q1-brightdesk", "draft"),
        ("northwind", "helpdesk-2027q1-northwind", "draft"),
    ]
    changed = bakeoff_file("target: 30", "target: 25")
    refused = runner.invoke(app, ["bakeoff", str(changed)])
    assert refused.exit_code == 1
    assert "Bake-off 'helpdesk-2027q1' is stored with another plan" in refused.output


@pytest.mark.parametrize(
    ("old", "new", "says"),
    [
        ("bakeoff: helpdesk-2027q1", "bakeoff: 2027", "bakeoff"),
        ("bakeoff: helpdesk-2027q1", "bakeoff: [helpdesk]", "bakeoff"),
        ("pilot:       ", "pilot: 5\npilot_was:       ", "pilot"),
        ("pilot:       ", "pilot: abc\npilot_was:       ", "pilot"),
        (
            "bakeoff: helpdesk-2027q1\n",
            "bakeoff: helpdesk-2027q1\nredmine: {project: helpdesk}\n",
            "cannot share a redmine: section",
        ),
    ],
    ids=["id a number", "id a list", "pilot a number", "pilot a string", "shared redmine"],
)
def test_a_bakeoff_of_the_wrong_shape_is_refused_at_its_line_never_a_traceback(  # type: ignore[no-untyped-def]
    settings: Settings, bakeoff_file, old: str, new: str, says: str
) -> None:
    path = bakeoff_file(old, new)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and "Internal error" not in result.output
    assert f"{path}:" in result.output and says in result.output
