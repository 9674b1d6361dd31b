"""Each classic outsourcing pitfall written into a plan is refused at its line."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from models.checks import PlanPolicy
from planfile import load_plan
from planfile.loader import LocatedFinding
from tests.conftest import VALID_PLAN, line_of


def findings(
    path: Path, severity: str = "error", policy: PlanPolicy | None = None
) -> list[LocatedFinding]:
    report = load_plan(path, policy or PlanPolicy())
    return [f for f in report.findings if f.severity == severity]


def the_error(path: Path, policy: PlanPolicy | None = None) -> LocatedFinding:
    found = findings(path, policy=policy)
    assert len(found) == 1, [str(f) for f in found]
    return found[0]


@pytest.mark.parametrize(
    ("old", "new", "field", "word"),
    [
        ("    target: 30\n", "    target: fast\n", "expectations[0].target", "'fast'"),
        ("    target: 30\n", "    target: ASAP\n", "expectations[0].target", "'asap'"),
        (
            "    unit: minutes\n",
            "    unit: reasonable minutes\n",
            "expectations[0].unit",
            "'reasonable'",
        ),
        (
            "  - id: first-response\n",
            "  - id: first-response\n    description: High quality "
            "answers on a best effort basis\n",
            "expectations[0].description",
            "'high quality'",
        ),
        (
            "    metric: runbook_pages\n",
            "    metric: good_runbooks\n",
            "expectations[1].metric",
            "'good'",
        ),
    ],
)
def test_vague_expectations_are_refused_with_a_measurable_suggestion(
    write_plan, old: str, new: str, field: str, word: str
) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=(old, new))
    finding = the_error(path)
    assert finding.field == field
    assert finding.line == line_of(path, new.strip().splitlines()[-1])
    assert word in finding.message and "cannot be measured" in finding.message
    assert "Say it as a number instead:" in finding.message


def test_a_target_that_is_not_a_number_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("    target: 30\n", "    target: thirty-ish\n"))
    finding = the_error(path)
    assert "must be a number" in finding.message and "unit" in finding.message


def test_an_expectation_without_a_target_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("    target: 30\n", ""))
    finding = the_error(path)
    assert finding.field == "expectations[0].target" and finding.message == "'target' is missing"
    assert finding.line == line_of(path, "  - id: first-response")
    assert "numeric target" in finding.fix


def test_an_expectation_must_say_when_it_holds(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("    holds_from: rung-2\n", ""))
    finding = the_error(path)
    assert finding.field == "expectations[0]" and "holds_from" in finding.message


def test_the_estimate_must_cover_the_ladder_and_contingency(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("  estimate: 12600\n", "  estimate: 11000\n"))
    finding = the_error(path)
    assert finding.field == "budget.estimate"
    assert finding.line == line_of(path, "estimate: 11000")
    assert "10,900.00" in finding.message and "1,635.00" in finding.message
    assert "at least 12535.00," in finding.fix  # as the person types it back
    assert "at least 12535.00" in finding.fix


def test_the_estimate_may_not_exceed_the_cap(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("  cap: 14000\n", "  cap: 12000\n"))
    finding = the_error(path)
    assert finding.field == "budget.cap" and "exceeds the hard cap" in finding.message


def test_a_rung_needs_rate_card_roles(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("      lead: 4\n", "      architect: 4\n"))
    finding = the_error(path)
    assert finding.field == "pilot[1].hours.architect"
    assert finding.line == line_of(path, "architect: 4")


def test_a_plan_without_an_exit_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    text = VALID_PLAN[: VALID_PLAN.index("exit_plan:")]
    finding = the_error(write_plan(text))
    assert finding.field == "exit_plan" and finding.message == "'exit_plan' is missing"
    assert "notice_days" in finding.fix and "final_invoice" in finding.fix


def test_every_exit_step_is_required(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=(", access_revocation, final_invoice]", ", final_invoice]"))
    finding = the_error(path)
    assert finding.field == "exit_plan.steps"
    assert finding.line == line_of(path, "steps: [")
    assert "access_revocation" in finding.message


def test_an_unknown_exit_step_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("final_invoice]", "final_invoice, farewell_party]"))
    finding = the_error(path)
    assert finding.field == "exit_plan.steps[4]" and "farewell_party" in finding.message


def test_the_first_rung_must_be_a_small_share_of_the_budget(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan()  # the first rung costs 800 of an estimate of 12600: 6%
    finding = the_error(path, PlanPolicy(first_rung_max_share=Decimal("0.05")))
    assert finding.field == "pilot[0].hours"
    assert finding.line == line_of(path, "    hours:")
    assert "costs 800.00, more than 5% of the estimate (630.00)" in finding.message
    assert findings(path, policy=PlanPolicy(first_rung_max_share=Decimal("0.07"))) == []


def test_the_first_rung_must_be_brief(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("    due_in_days: 5\n", "    due_in_days: 20\n"))
    finding = the_error(path)
    assert finding.field == "pilot[0].due_in_days"
    assert finding.line == line_of(path, "due_in_days: 20")
    assert findings(path, policy=PlanPolicy(first_rung_max_days=30)) == []


def test_rungs_never_shrink(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("      engineer: 60\n", "      engineer: 10\n"))
    finding = the_error(path)
    assert finding.field == "pilot[2].hours" and "smaller than the rung before" in finding.message


def test_client_and_vendor_areas_may_not_overlap(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("[acceptance criteria, budget]", "[acceptance criteria, tools]"))
    finding = the_error(path)
    assert finding.field == "authority.client_decides[1]"
    assert finding.line == line_of(path, "client_decides:")


def test_an_expectation_may_not_prescribe_a_vendor_method(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(
        replace=(
            "    metric: runbook_pages\n",
            "    description: Runbooks kept in Jira\n    metric: runbook_pages\n",
        )
    )
    finding = the_error(path)
    assert finding.field == "expectations[1]" and "'tooling'" in finding.message
    assert "outcome" in finding.fix


def test_gates_leave_a_band_between_exit_and_expand(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("exit_below_score: 0.6", "exit_below_score: 0.9"))
    assert the_error(path).field == "gates.exit_below_score"


def test_risky_but_legal_plans_get_warnings(write_plan) -> None:  # type: ignore[no-untyped-def]
    text = VALID_PLAN.replace("contingency: 0.15", "contingency: 0.05").replace(
        "source: vendor_metrics", "source: client_review"
    )
    text = text[: text.index("  - id: runbooks")] + text[text.index("pilot:") :]
    path = write_plan(text)
    assert findings(path) == []
    warned = sorted((f.field, f.message) for f in findings(path, "warning"))
    assert warned == [
        ("budget.contingency", "contingency 5% is under 10%"),
        ("expectations", "no expectation is measured from the vendor's metrics or tickets"),
        ("expectations", "only one expectation"),
        ("notify", "no notify: section, so nobody is told when the trial waits for a person"),
    ]
