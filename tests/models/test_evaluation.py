"""Scorecard, rung gate, recommendation and budget forecast, as pure rules."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from models.budget import budget_status, forecast_cost
from models.gates import Choice, missed_reasons, over_cap, recommend
from models.plan import Comparator, Expectation, Gates, Source
from models.scoring import meets, scorecard
from tests.models.readings import vendor_readings

D = Decimal
GATES = Gates(expand_at_score=D("0.8"), exit_below_score=D("0.6"))
TODAY = date(2026, 11, 27)


def expectation(
    id: str,
    metric: str,
    comparator: str,
    target: int,
    weight: int = 1,
    holds_from: str | None = "rung-1",
    holds_by: date | None = None,
) -> Expectation:
    return Expectation(
        id=id,
        metric=metric,
        comparator=Comparator(comparator),
        target=D(target),
        unit="u",
        source=Source.VENDOR_METRICS,
        holds_from=holds_from,
        holds_by=holds_by,
        weight=D(weight),
    )


EXPECTATIONS = [
    expectation("response", "p90_minutes", "<=", 30, weight=3),
    expectation("runbooks", "runbook_pages", ">=", 10, weight=1, holds_from="rung-2"),
    expectation("cost", "run_cost", "<=", 4000, holds_from=None, holds_by=date(2027, 3, 31)),
]


def test_comparators() -> None:
    assert meets(D(30), Comparator.LE, D(30)) and not meets(D(30), Comparator.LT, D(30))
    assert meets(D("4.2"), Comparator.GE, D("4.2")) and meets(D(0), Comparator.EQ, D(0))


def test_only_due_expectations_count_and_weights_apply() -> None:
    card = scorecard(
        EXPECTATIONS,
        vendor_readings({"p90_minutes": D(25), "runbook_pages": D(3)}),
        ["rung-1"],
        TODAY,
    )
    assert [line.due for line in card.lines] == [True, False, False]
    assert card.score == D("1.000")
    card = scorecard(
        EXPECTATIONS,
        vendor_readings({"p90_minutes": D(25), "runbook_pages": D(3)}),
        ["rung-1", "rung-2"],
        TODAY,
    )
    assert card.score == D("0.750") and [line.id for line in card.missed] == ["runbooks"]


def test_a_due_but_unmeasured_expectation_counts_as_missed() -> None:
    card = scorecard(EXPECTATIONS, vendor_readings({}), ["rung-1"], date(2027, 4, 1))
    assert card.score == D("0.000")
    assert [(line.id, line.met) for line in card.due] == [("response", False), ("cost", False)]


def test_the_gate_names_each_missed_expectation() -> None:
    good = scorecard(EXPECTATIONS, vendor_readings({"p90_minutes": D(25)}), ["rung-1"], TODAY)
    assert missed_reasons(good) == []
    bad = scorecard(EXPECTATIONS, vendor_readings({"p90_minutes": D(45)}), ["rung-1"], TODAY)
    assert missed_reasons(bad) == ["expectation 'response' is due and measured 45 against <= 30 u"]
    unmeasured = scorecard(EXPECTATIONS, vendor_readings({}), ["rung-1"], TODAY)
    assert missed_reasons(unmeasured) == ["expectation 'response' is due and was never measured"]


def test_the_cap_stops_a_rung_forecast_to_overrun_it() -> None:
    assert over_cap(spent=D(800), forecast=D(2600), cap=D(14000)) is None
    reason = over_cap(spent=D(12000), forecast=D(2600), cap=D(14000))
    assert reason is not None and "would exceed the cap 14000" in reason
    assert forecast_cost(D(1000), earned=D(2000), actual=D(2800), currency="USD") == D("1400.00")
    assert forecast_cost(D(1000), earned=D(2000), actual=D(1800), currency="USD") == D(1000)
    assert forecast_cost(D(1000), earned=D(0), actual=D(0), currency="USD") == D(1000)


def test_the_recommendation_follows_the_score_forecast_and_plan() -> None:
    def card(minutes: int, pages: int):  # type: ignore[no-untyped-def]
        return scorecard(
            EXPECTATIONS,
            vendor_readings({"p90_minutes": D(minutes), "runbook_pages": D(pages)}),
            ["rung-1", "rung-2"],
            TODAY,
        )

    assert (
        recommend(card(20, 12), GATES, D(9000), D(14000), True, currency="USD").choice
        is Choice.EXPAND
    )
    assert (
        recommend(card(20, 3), GATES, D(9000), D(14000), True, currency="USD").choice
        is Choice.EXTEND
    )
    exit_ = recommend(card(60, 3), GATES, D(9000), D(14000), True, currency="USD")
    assert exit_.choice is Choice.EXIT
    assert exit_.rationale[0] == "weighted score 0% (expand at 80%, exit below 60%)"
    over = recommend(card(20, 12), GATES, D(15000), D(14000), True, currency="USD")
    assert (
        over.choice is Choice.EXIT
        and "exceeds the cap 14,000.00 USD: raise the cap" in over.rationale[-1]
    )
    assert (
        recommend(card(20, 12), GATES, D(9000), D(14000), False, currency="USD").choice
        is Choice.EXTEND
    )


def test_the_forecast_scales_the_remaining_work_by_cost_performance() -> None:
    status = budget_status(planned=D(10000), earned=D(2000), actual=D(2800), currency="USD")
    assert status.cost_performance == D("0.714")
    assert status.forecast == D("14000.00") and status.variance == D("-4000.00")
    fresh = budget_status(planned=D(10000), earned=D(0), actual=D(0), currency="USD")
    assert fresh.forecast == D(10000) and fresh.cost_performance is None
