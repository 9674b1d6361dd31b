"""The authority check on whole plans: an SLA table as a vendor manager types it in passes;
an expectation that tells the vendor how to work is refused at its line, with a fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from models.checks import PlanPolicy
from planfile import load_plan
from tests.conftest import line_of

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]

# A managed-service provider's published SLA table, typed in as a trial plan.
SLA_TABLE = """\
trial: msp-sla-pilot-2027
title: Managed service desk pilot on the published SLA
vendor:
  name: Example MSP Ltd
  api: {base_url: "http://127.0.0.1:8765", token: {env: MSP_API_TOKEN}}
currency: USD
rate_card: {engineer: 95, lead: 140}
budget: {estimate: 13500, contingency: 0.15, cap: 15500}
authority:
  client_decides: [acceptance criteria, priorities, budget]
  vendor_decides: [tooling, staffing, implementation approach]
expectations:
  - id: availability
    description: Service availability measured monthly by the uptime monitoring tool
    metric: service_availability_percent
    comparator: ">="
    target: 99.90
    unit: percent
    source: vendor_metrics
    holds_from: rung-2
    weight: 3
  - id: p1-response
    description: Priority 1 (critical) tickets from client staff get a response within 1 hour, 24/7
    metric: p1_response_minutes
    comparator: "<="
    target: 60
    unit: minutes
    source: vendor_metrics
    holds_from: rung-2
    weight: 3
  - id: p3-response
    description: Priority 3 (medium) tickets get a response within 8 business hours
    metric: p3_response_business_hours
    comparator: "<="
    target: 8
    unit: business hours
    source: vendor_metrics
    holds_from: rung-3
    weight: 1
pilot:
  - {id: rung-1, title: Take over password resets, hours: {engineer: 6, lead: 2}, due_in_days: 5}
  - {id: rung-2, title: Run the P1 and P2 queue for one site, hours: {engineer: 20, lead: 4},
     due_in_days: 10}
  - {id: rung-3, title: Run the whole service desk for two weeks,
     hours: {engineer: 70, lead: 10}, due_in_days: 21}
gates: {expand_at_score: 0.8, exit_below_score: 0.6}
exit_plan:
  notice_days: 30
  steps: [knowledge_transfer, data_return, access_revocation, final_invoice]
"""
MEASURED = "Service availability measured monthly by the uptime monitoring tool"


def test_an_sla_table_that_describes_measurement_and_users_validates(tmp_path: Path) -> None:
    path = tmp_path / "msp-sla.yaml"
    path.write_text(SLA_TABLE, encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output and "prescribes" not in result.output


@pytest.mark.parametrize(
    ("description", "says"),
    [
        (f"{MEASURED}; tickets must be kept in Jira", "('kept in Jira') in 'tooling'"),
        ("Priority 1 tickets answered by 2 onshore FTE", "('onshore') in 'staffing'"),
        ("The vendor must log tickets in the client's ServiceNow", "in the client's ServiceNow"),
    ],
)
def test_an_order_on_how_the_vendor_works_is_refused_at_its_line(
    tmp_path: Path, description: str, says: str
) -> None:
    path = tmp_path / "msp-sla.yaml"
    path.write_text(SLA_TABLE.replace(MEASURED, description), encoding="utf-8")
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert [f.field for f in errors] == ["expectations[0]"], [str(f) for f in errors]
    assert errors[0].line == line_of(path, "- id: availability")
    assert "expectation 'availability' prescribes a method" in errors[0].message
    assert says in errors[0].message
    assert "let the vendor choose" in errors[0].fix
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 1 and f"{path}:{errors[0].line}:" in result.output


@pytest.mark.parametrize(
    "plan",
    ["examples/helpdesk-takeover.yaml", "examples/cloud-migration.yaml", "cli/templates/plan.yaml"],
)
def test_the_shipped_plans_still_validate(plan: str) -> None:
    result = runner.invoke(app, ["validate", str(REPO / plan)])
    assert result.exit_code == 0, result.output
