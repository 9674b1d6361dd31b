"""Numbers and money as people write them: each refusal says which form to write, with the
person's own value converted, and every amount has a range the store keeps exactly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from models.checks import PlanPolicy
from models.money import minor_unit
from models.tables import Trial
from planfile import load_plan
from store.db import read_session
from tests.conftest import VALID_PLAN, line_of

WRITTEN = [
    # (what the plan says, what it says instead, the field, what the fix must say)
    ("contingency: 0.15", "contingency: 15%", "budget.contingency", "write 0.15 for 15%"),
    ("contingency: 0.15", "contingency: 15", "budget.contingency", "write 0.15 for 15%"),
    ("contingency: 0.15", "contingency: 12.5 %", "budget.contingency", "write 0.125 for 12.5 %"),
    ("expand_at_score: 0.8", "expand_at_score: 80%", "gates.expand_at_score", "write 0.8 for 80%"),
    ("expand_at_score: 0.8", "expand_at_score: 80", "gates.expand_at_score", "write 0.8 for 80%"),
    (
        "exit_below_score: 0.6",
        "exit_below_score: 60",
        "gates.exit_below_score",
        "write 0.6 for 60%",
    ),
    ("estimate: 12600", "estimate: 12,600", "budget.estimate", "write 12600 without separators"),
    ("estimate: 12600", 'estimate: "$12,600"', "budget.estimate", "write 12600 without separators"),
    ("estimate: 12600", 'estimate: "12 600"', "budget.estimate", "write 12600 without separators"),
    ("estimate: 12600", "estimate: 12.600,50", "budget.estimate", "write 12600.50 without"),
    ("estimate: 12600", "estimate: USD 12600", "budget.estimate", "write 12600 without separators"),
    ("engineer: 100", "engineer: 100 EUR", "rate_card.engineer", "write 100 without separators"),
    ("engineer: 100", "engineer: €100", "rate_card.engineer", "write 100 without separators"),
    ("weight: 3", "weight: 30%", "expectations[0].weight", "write 30 without %"),
    ("estimate: 12600", "estimate: lots", "budget.estimate", "write a plain number"),
    ("estimate: 12600", "estimate: .nan", "budget.estimate", "write a plain number"),
    ("estimate: 12600", "estimate: 1e308", "budget.estimate", "999,999,999,999.99"),
    ("cap: 14000", "cap: 1e308", "budget.cap", "999,999,999,999.99"),
    ("engineer: 100", "engineer: 1e20", "rate_card.engineer", "999,999,999,999.99"),
    ("      engineer: 8\n", "      engineer: 1e30\n", "pilot[0].hours.engineer", "99,999,999.99"),
    ("target: 30", "target: 1e300", "expectations[0].target", "99,999,999,999,999.9999"),
    ("weight: 3", "weight: 1e9", "expectations[0].weight", "999,999.99"),
    # Currencies: ISO 4217 codes, amounts at the currency's minor unit, stored places kept.
    ("currency: USD", "currency: usd", "currency", "write USD"),
    ("currency: USD", "currency: US$", "currency", "the three capital letters"),
    ("currency: USD", "currency: ABC", "currency", "the three capital letters"),
    ("currency: USD", "currency: XAU", "currency", "write the invoicing currency"),
    ("currency: USD", "currency: 840", "currency", "write USD"),
    ("currency: USD", 'currency: "978"', "currency", "write EUR"),
    ("currency: USD", "currency: [USD]", "currency", ""),
    ("engineer: 100", "engineer: 100.125", "rate_card.engineer", "write 100.12 or 100.13"),
    ("estimate: 12600", "estimate: 12600.001", "budget.estimate", "write 12600.00 or 12600.01"),
    ("cap: 14000", "cap: 14000.5555", "budget.cap", "write 14000.55 or 14000.56"),
    ("      engineer: 8\n", "      engineer: 8.125\n", "pilot[0].hours.engineer", "write 8.13"),
    ("contingency: 0.15", "contingency: 0.15555", "budget.contingency", "write 0.1556"),
    ("target: 30", "target: 30.12345", "expectations[0].target", "write 30.1235"),
    ("weight: 3", "weight: 1.005", "expectations[0].weight", "write 1.01"),
]


@pytest.mark.parametrize(("was", "now", "field", "fix"), WRITTEN, ids=[w[1] for w in WRITTEN])
def test_a_number_written_another_way_is_refused_with_the_form_to_write(
    was: str, now: str, field: str, fix: str, write_plan
) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(replace=(was, now))
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert [f.field for f in errors] == [field], [str(f) for f in errors]
    [finding] = errors
    assert fix in finding.fix, str(finding)
    assert "Decimal(" not in str(finding)
    assert finding.line == line_of(path, now.strip().split("\n")[0])


def test_a_rung_whose_hours_add_up_past_what_the_store_keeps_is_refused(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(
        replace=("      engineer: 8\n", "      engineer: 60000000\n      lead: 60000000\n")
    )
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    assert [f.field for f in errors] == ["pilot[0]"], [str(f) for f in errors]
    assert "add up to 120,000,000" in errors[0].message


def test_the_largest_amounts_are_stored_exactly(settings: Settings, tmp_path: Path) -> None:
    text = VALID_PLAN.replace("cap: 14000", "cap: 999999999999.99")
    path = tmp_path / "large.yaml"
    path.write_text(text)
    assert load_plan(path, PlanPolicy()).ok
    created = CliRunner().invoke(app, ["create", str(path)])
    assert created.exit_code == 0, created.output
    with read_session(settings) as session:
        trial = session.exec(select(Trial)).one()
    assert trial.budget_cap == Decimal("999999999999.99")


PRICED = [
    # (currency, rate, estimate, cap, the fix for a rate one place too fine)
    ("KWD", "12.345", "12600.125", "14000.5", "write 12.345 or 12.346"),
    ("JPY", "9500", "1500000", "1800000", "write 9500 or 9501"),
    ("CLF", "2.1234", "12600", "14000", "write 2.1234 or 2.1235"),
    ("BHD", "40.005", "12600", "14000.999", "write 40.005 or 40.006"),
]


@pytest.mark.parametrize(("currency", "rate", "estimate", "cap", "fix"), PRICED)
def test_each_currency_takes_amounts_to_its_own_minor_unit(
    currency: str, rate: str, estimate: str, cap: str, fix: str, write_plan
) -> None:  # type: ignore[no-untyped-def]
    priced = {
        "currency: USD": f"currency: {currency}",
        "engineer: 100": f"engineer: {rate}",
        "estimate: 12600": f"estimate: {estimate}",
        "cap: 14000": f"cap: {cap}",
    }
    text = VALID_PLAN
    for was, now in priced.items():
        text = text.replace(was, now, 1)
    report = load_plan(write_plan(text), PlanPolicy())
    assert report.ok, [str(f) for f in report.findings]
    assert report.totals is not None
    assert -report.totals.cost.as_tuple().exponent <= minor_unit(currency)  # type: ignore[operator]
    too_fine = Decimal(rate) + Decimal(1).scaleb(-minor_unit(currency) - 1) * 5
    report = load_plan(
        write_plan(text, replace=(f"engineer: {rate}", f"engineer: {too_fine}")), PlanPolicy()
    )
    [finding] = [f for f in report.findings if f.severity == "error"]
    assert finding.field == "rate_card.engineer" and finding.fix == fix, str(finding)
    assert f"{currency} has" in finding.message and "ISO 4217" in finding.message
