"""Deliverables rules in a plan: a rule that cannot be computed from the archive is refused
at validate, at its line, with the fix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from models.checks import PlanPolicy
from planfile import load_plan
from tests.conftest import VALID_PLAN, line_of

REPO = Path(__file__).resolve().parents[2]
WritePlan = Callable[..., Path]

runner = CliRunner()
RULE = '    measure: {pages: "runbooks/*.md"}\n'

REFUSED = [
    # (what the plan says instead of the rule, the field, the message, the fix)
    ("", "expectations[1].source", "says not how", 'measure: {pages: "*.pdf"}'),
    (
        '    measure: {pages: ""}\n',
        "expectations[1].measure.pages",
        "the pattern is empty",
        "name the files",
    ),
    (
        '    measure: {count: "/srv/runbooks/*.md"}\n',
        "expectations[1].measure.count",
        "is an absolute path",
        "drop the /",
    ),
    (
        '    measure: {count: "runbook-[0-9.md"}\n',
        "expectations[1].measure.count",
        "opens a [ without closing it",
        "close it",
    ),
    (
        '    measure: {pages: "*.zip"}\n',
        "expectations[1].measure",
        "'*.zip' matches none",
        "end the pattern with .pdf",
    ),
    (
        '    measure: {count: "*.md", pages: "*.md"}\n',
        "expectations[1].measure",
        "exactly one of count, bytes or pages, not count and pages",
        "write one",
    ),
    (
        '    measure: {words: "*.md"}\n',
        "expectations[1].measure.words",
        "unknown key 'words'",
        "allowed here: count, bytes, pages",
    ),
    (
        '    measure: {count: "runbooks/*.md"}\n',
        "expectations[1].unit",
        "the rule counts files, but the unit is 'pages'",
        "{pages: PATTERN}",
    ),
    (
        '    measure: {bytes: "runbooks/*.md"}\n',
        "expectations[1].unit",
        "adds up sizes in bytes, but the unit is 'pages'",
        "unit: bytes",
    ),
]


@pytest.mark.parametrize(("rule", "field", "message", "fix"), REFUSED, ids=[r[2] for r in REFUSED])
def test_a_rule_that_cannot_be_computed_is_refused_at_its_line(
    rule: str, field: str, message: str, fix: str, write_plan: WritePlan
) -> None:
    path = write_plan(replace=(RULE, rule))
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert [f.field for f in errors] == [field], [str(f) for f in errors]
    [finding] = errors
    assert message in finding.message and fix in finding.fix, str(finding)
    where = "unit: pages" if field.endswith(".unit") else rule.strip() or "source: deliverables"
    assert finding.line == line_of(path, where)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and f"{path}:{finding.line}:" in result.output


def test_a_measure_on_another_source_is_refused(write_plan: WritePlan) -> None:
    text = VALID_PLAN.replace(
        "    source: vendor_metrics\n",
        '    source: vendor_metrics\n    measure: {count: "*.md"}\n',
        1,
    )
    path = write_plan(text)
    [finding] = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert finding.field == "expectations[0].measure"
    assert "its value comes from vendor_metrics" in finding.message
    assert finding.fix == "remove measure, or set source: deliverables"
    assert finding.line == line_of(path, 'measure: {count: "*.md"}')


@pytest.mark.parametrize(
    "rule",
    [
        '{pages: "runbooks/*.md"}',
        '{pages: "**/*.PDF"}',
        '{pages: "handover/*.html"}',
    ],
)
def test_rules_that_fit_their_unit_pass(rule: str, write_plan: WritePlan) -> None:
    report = load_plan(write_plan(replace=(RULE, f"    measure: {rule}\n")), PlanPolicy())
    assert report.ok, [str(f) for f in report.findings]


def test_counts_and_sizes_with_their_own_units_pass(write_plan: WritePlan) -> None:
    for rule, unit in (('{count: "runbooks/*"}', "runbooks"), ('{bytes: "*.zip"}', "bytes")):
        text = VALID_PLAN.replace(RULE, f"    measure: {rule}\n").replace(
            "    unit: pages\n", f"    unit: {unit}\n"
        )
        report = load_plan(write_plan(text), PlanPolicy())
        assert report.ok, [str(f) for f in report.findings]


def test_the_expansions_rules_are_checked_too(write_plan: WritePlan) -> None:
    text = (REPO / "examples" / "helpdesk-takeover.yaml").read_text()
    was = "unit: points of 5, source: client_review, holds_from: l2-takeover"
    now = "unit: points of 5, source: deliverables, holds_from: l2-takeover"
    path = write_plan(text, replace=(was, now))
    [finding] = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert finding.field == "expansion.expectations[2].source"
    assert finding.line == line_of(path, now) and "{count: " in finding.fix
