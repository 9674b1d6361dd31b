"""The budget-approval gate's advice, as pure rules."""

from __future__ import annotations

from decimal import Decimal

import pytest
import yaml

from models.approval import Approval, budget_request, parse_approval
from models.errors import TrialsError
from models.plan import Plan
from tests.conftest import EXAMPLES


def helpdesk(**budget: int) -> Plan:
    data = yaml.safe_load((EXAMPLES / "helpdesk-takeover.yaml").read_text())
    data["budget"].update(budget)
    return Plan.model_validate(data)


def test_a_budget_that_covers_the_ladder_under_its_cap_is_advised_for() -> None:
    request = budget_request("t", 1, helpdesk())
    assert (request.gate, request.advice) == ("budget-approval:e1", Approval.APPROVE)
    assert (request.totals.cost, request.totals.required) == (Decimal(11360), Decimal(13064))
    assert "the estimate covers the ladder under the cap" in request.rationale


@pytest.mark.parametrize("budget", [{"estimate": 13000}, {"estimate": 13500, "cap": 13400}])
def test_a_budget_short_of_the_ladder_or_over_its_cap_is_left_to_a_person(
    budget: dict[str, int],
) -> None:
    request = budget_request("t", 1, helpdesk(**budget))
    assert request.advice is None
    assert "does not cover the ladder under the cap" in request.rationale


def test_only_approve_and_reject_are_choices() -> None:
    assert parse_approval("reject") is Approval.REJECT
    with pytest.raises(TrialsError, match="'expand' is not a choice at the budget-approval gate"):
        parse_approval("expand")
