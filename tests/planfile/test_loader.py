"""Bad plan files: each refusal names the file, the line, the field and the fix."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from models.checks import PlanPolicy
from models.errors import PlanError
from planfile import load_plan, require_valid
from planfile.loader import LocatedFinding
from tests.conftest import EXAMPLES, line_of


def errors(path: Path) -> list[LocatedFinding]:
    return [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]


def only_error(path: Path) -> LocatedFinding:
    found = errors(path)
    assert len(found) == 1, [str(f) for f in found]
    return found[0]


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.name)
def test_examples_are_valid_without_warnings(example: Path) -> None:
    report = load_plan(example, PlanPolicy())
    assert report.ok and report.plan is not None, [str(f) for f in report.findings]
    assert report.findings == []
    assert report.totals is not None and report.totals.covered


def test_valid_plan_totals_are_exact_decimals(write_plan) -> None:  # type: ignore[no-untyped-def]
    report = load_plan(write_plan(), PlanPolicy())
    assert report.totals is not None
    assert [r.cost for r in report.totals.rungs] == [
        Decimal("800.00"),
        Decimal("2600.00"),
        Decimal("7500.00"),
    ]
    assert report.totals.cost == Decimal("10900.00")
    assert report.totals.contingency == Decimal("1635.00")
    assert report.totals.required == Decimal("12535.00")
    assert report.totals.headroom == Decimal("1465.00")


def test_malformed_yaml_names_the_line_where_it_starts(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("  lead: 150\n", "  lead: [150\n"))
    finding = only_error(path)
    assert finding.message.startswith("this is not valid YAML: while parsing a flow sequence")
    assert finding.line == line_of(path, "lead: [150")
    assert "brackets" in finding.fix
    assert str(finding).startswith(f"{path}:{finding.line}: error:")


def test_duplicate_yaml_key_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("currency: USD\n", "currency: USD\ncurrency: EUR\n"))
    finding = only_error(path)
    assert "not valid YAML" in finding.message and "duplicate key" in finding.message
    assert finding.line == line_of(path, "currency: EUR")
    assert finding.fix == "a key may appear once per mapping; keep one"


def test_unknown_key_suggests_the_right_one(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("    weight: 3\n", "    wieght: 3\n"))
    finding = only_error(path)
    assert finding.field == "expectations[0].wieght"
    assert finding.line == line_of(path, "wieght: 3")
    assert finding.message == "unknown key 'wieght'" and "did you mean 'weight'" in finding.fix
    assert str(finding).endswith("Fix: did you mean 'weight'?")


def test_wrong_type_is_refused_with_the_value(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("    due_in_days: 5\n", "    due_in_days: next week\n"))
    finding = only_error(path)
    assert finding.field == "pilot[0].due_in_days"
    assert finding.line == line_of(path, "due_in_days: next week")
    assert "'next week'" in finding.message


def test_negative_money_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("  engineer: 100\n", "  engineer: -100\n"))
    finding = only_error(path)
    assert finding.field == "rate_card.engineer"
    assert finding.line == line_of(path, "engineer: -100")
    assert "greater than 0" in finding.message


def test_duplicate_ids_are_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("  - id: runbooks\n", "  - id: first-response\n"))
    finding = only_error(path)
    assert finding.field == "expectations[1].id"
    assert finding.line == line_of(path, "  - id: first-response", occurrence=2)
    assert "used twice" in finding.message


def test_undefined_rung_reference_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("holds_from: rung-3", "holds_from: rung-9"))
    finding = only_error(path)
    assert finding.field == "expectations[1].holds_from"
    assert finding.line == line_of(path, "holds_from: rung-9")
    assert "rung-1, rung-2, rung-3" in finding.fix


def test_missing_file_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    finding = only_error(tmp_path / "absent.yaml")
    assert "cannot read the plan file" in finding.message
    assert finding.line is None


def test_a_list_is_not_a_plan(write_plan) -> None:  # type: ignore[no-untyped-def]
    finding = only_error(write_plan("- just\n- a list\n"))
    assert finding.line == 1 and "mapping of sections" in finding.message


def test_the_token_itself_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(
        replace=("    token:\n      env: DESK_TOKEN\n", "    token: sk-live-123456\n")
    )
    finding = only_error(path)
    assert finding.field == "vendor.api.token"
    assert "never the token itself" in finding.message


def test_require_valid_raises_with_every_error(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=("  cap: 14000\n", "  cap: 10000\n"))
    with pytest.raises(PlanError) as raised:
        require_valid(load_plan(path, PlanPolicy()))
    assert f"{path}:{line_of(path, 'cap: 10000')}: error: budget.cap:" in str(raised.value)
