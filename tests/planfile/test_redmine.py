"""A plan for a vendor in Redmine: the redmine: section, the business calendar and the
expectations measured from tickets are refused at their line when they cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from models.checks import PlanPolicy
from planfile import load_plan
from tests.conftest import EXAMPLES, VALID_PLAN, line_of

EXAMPLE = (EXAMPLES / "redmine-helpdesk.yaml").read_text()
runner = CliRunner()

REFUSED = [
    # (snippet of the example, what it becomes, the field refused, words of the message,
    #  words of the fix, the text on the line it is reported at)
    (
        "redmine:\n  project: northwind-helpdesk",
        "redmine_old:\n  project: northwind-helpdesk",
        "redmine_old",
        "unknown key",
        "",
        "redmine_old:",
    ),
    (
        "  project: northwind-helpdesk ",
        "  project: Northwind Helpdesk ",
        "redmine.project",
        "'Northwind Helpdesk' is not a valid name here",
        "Redmine's project identifier",
        "project: Northwind Helpdesk",
    ),
    (
        "activities: {Development: engineer, Design: lead}",
        "activities: {Development: engineer, Design: lead, Testing: tester}",
        "redmine.activities.Testing",
        "priced as 'tester', which the rate card lacks",
        "engineer, lead",
        "activities:",
    ),
    (
        "activities: {Development: engineer, Design: lead}",
        "activities: {Development: engineer}",
        "redmine.activities",
        "no time-entry activity is priced as lead",
        "Development: lead",
        "activities:",
    ),
    (
        "client_accounts: [svc-backup]",
        "client_accounts: [nw-bob]",
        "redmine",
        "listed as vendor staff and as a client account",
        "",
        "redmine:",
    ),
    (
        "    delivered: [Resolved]",
        "    delivered: [Rejected]",
        "redmine.statuses",
        "Rejected cannot mean both delivered and rejected",
        "",
        "statuses:",
    ),
    (
        "metric: p90_resolution_hours",
        "metric: p90_fix_hours",
        "expectations[1].metric",
        "p{N}_resolution_hours",
        "",
        "metric: p90_fix_hours",
    ),
    (
        'metric: p90_resolution_hours, comparator: "<=", target: 8,\n     unit: hours',
        'metric: p90_resolution_hours, comparator: "<=", target: 8,\n     unit: minutes',
        "expectations[1].unit",
        "measures p90_resolution_hours in hours, not minutes",
        "unit: hours",
        "unit: minutes, source: tickets",
    ),
    (
        "unit: percent, source: tickets",
        "unit: percent, source: vendor_metrics",
        "expectations[2].source",
        "redmine reports no metrics of its own",
        "source: tickets",
        "source: vendor_metrics",
    ),
    (
        "source: client_review, holds_from: rung-3",
        "source: client_review, targets_by_priority: {Urgent: 1}, holds_from: rung-3",
        "expectations[3].targets_by_priority",
        "comes from client_review, not from tickets",
        "remove targets_by_priority",
        "targets_by_priority: {Urgent: 1}",
    ),
    (
        "  time_zone: Europe/London",
        "  time_zone: Europe/Londres",
        "calendar.time_zone",
        "Europe/Londres",
        "",
        "time_zone: Europe/Londres",
    ),
    (
        '  hours: "09:00-17:30"',
        '  hours: "17:30-09:00"',
        "calendar.hours",
        "",
        "",
        'hours: "17:30-09:00"',
    ),
]


@pytest.mark.parametrize(
    ("snippet", "becomes", "field", "message", "fix", "line"), REFUSED, ids=[r[2] for r in REFUSED]
)
def test_a_redmine_plan_that_cannot_work_is_refused_at_its_line(
    snippet: str, becomes: str, field: str, message: str, fix: str, line: str, tmp_path: Path
) -> None:
    assert snippet in EXAMPLE
    path = tmp_path / "plan.yaml"
    path.write_text(EXAMPLE.replace(snippet, becomes, 1))
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert [f.field for f in errors] == [field], [str(f) for f in errors]
    [finding] = errors
    assert message in finding.message and fix in finding.fix, str(finding)
    assert finding.line == line_of(path, line)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and f"{path}:{finding.line}:" in result.output


def test_the_redmine_adapter_without_its_section_is_refused(tmp_path: Path) -> None:
    start, end = EXAMPLE.index("redmine:\n"), EXAMPLE.index("calendar:")
    path = tmp_path / "plan.yaml"
    path.write_text(EXAMPLE[:start] + EXAMPLE[end:])
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert [f.field for f in errors] == ["vendor.api.adapter"], [str(f) for f in errors]
    assert "needs a redmine: section" in errors[0].message
    assert errors[0].line == line_of(path, "adapter: redmine")


def test_tickets_and_a_redmine_section_need_the_redmine_adapter(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    path.write_text(EXAMPLE.replace("    adapter: redmine\n", ""))
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    fields = [f.field for f in errors]
    assert fields[0] == "redmine" and "work-api adapter" in errors[0].message
    # every expectation measured from tickets is refused where its source is written
    assert fields[1:] == [f"expectations[{i}].source" for i in range(3)]
    assert all("reads no ticketing system" in f.message for f in errors[1:])


def test_a_work_api_plan_measuring_tickets_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "plan.yaml"
    text = VALID_PLAN.replace("    source: vendor_metrics\n", "    source: tickets\n", 1)
    path.write_text(text)
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert [f.field for f in errors] == ["expectations[0].source"], [str(f) for f in errors]
    assert errors[0].fix == "use source: vendor_metrics, or reach the vendor with adapter: redmine"
