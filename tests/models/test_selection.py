"""The selection gate's advice: the best qualifying vendor, a tie, none qualifying, and the
answers refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.budget import BudgetStatus
from models.errors import TrialsError
from models.evaluation import Evaluation
from models.gates import Choice, Recommendation
from models.phases import Phase
from models.selection import Contender, select_among


def contender(
    vendor: str,
    score: str | None = "0.9",
    choice: Choice = Choice.EXPAND,
    forecast: str = "10000",
    late: str = "0",
    phase: Phase = Phase.EVALUATING,
) -> Contender:
    evaluation = None
    if phase is Phase.EVALUATING:
        budget = BudgetStatus(
            planned=Decimal(10000),
            earned=Decimal(5000),
            actual=Decimal(5000),
            forecast=Decimal(forecast),
            variance=Decimal(10000) - Decimal(forecast),
            cost_performance=Decimal(1),
        )
        evaluation = Evaluation.model_construct(  # type: ignore[call-arg]  # only what advice reads
            slug=f"b-{vendor}",
            trial_id=1,
            gate="evaluation:e1:1",
            score=None if score is None else Decimal(score),
            budget=budget,
            days_late=Decimal(late),
            recommendation=Recommendation(choice=choice, rationale=[f"{vendor} says {choice}"]),
        )
    return Contender(
        vendor=vendor,
        name=vendor,
        slug=f"b-{vendor}",
        phase=phase,
        evaluation=evaluation,
        rungs_done=3,
    )


def test_the_highest_score_among_the_qualified_is_recommended() -> None:
    selection = select_among(
        "b",
        "USD",
        [contender("a", "0.85"), contender("b", "0.95"), contender("c", "0.4", Choice.EXIT)],
    )
    assert selection.advice.vendor == "b"
    assert selection.advice.reasons[0].startswith("b qualifies with the highest score (0.950)")
    assert any(r.startswith("a qualifies too, ranked lower") for r in selection.advice.reasons)
    assert any(
        r.startswith("c does not qualify: its evaluation recommends exit")
        for r in selection.advice.reasons
    )
    assert selection.outcome("b") == {"b-a": Choice.EXIT, "b-b": Choice.EXPAND, "b-c": Choice.EXIT}


def test_an_equal_score_goes_to_the_lower_forecast_then_to_the_earlier() -> None:
    cheaper = select_among("b", "USD", [contender("a", forecast="12000"), contender("b")])
    assert cheaper.advice.vendor == "b"
    sooner = select_among("b", "USD", [contender("a", late="2"), contender("b", late="0.5")])
    assert sooner.advice.vendor == "b"


def test_a_tie_on_everything_is_left_to_a_person_and_said() -> None:
    selection = select_among("b", "USD", [contender("a"), contender("b")])
    assert selection.advice.vendor is None and selection.for_a_person
    assert selection.advice.reasons[0].startswith("a and b tie on score 0.900")
    assert "a person selects" in selection.advice.reasons[0]


def test_none_qualifying_recommends_none_with_each_reason() -> None:
    selection = select_among(
        "b",
        "USD",
        [contender("a", "0.5", Choice.EXIT), contender("b", phase=Phase.CLOSED)],
    )
    assert selection.advice.vendor is None and not selection.for_a_person
    assert selection.advice.reasons == [
        "no vendor qualifies to expand",
        "a does not qualify: its evaluation recommends exit (a says exit)",
        "b left the bake-off (b-b is closed)",
    ]
    assert selection.outcome("none") == {"b-a": Choice.EXIT}


def test_an_unknown_or_exited_vendor_is_refused_by_name() -> None:
    selection = select_among("b", "USD", [contender("a"), contender("x", phase=Phase.EXITING)])
    with pytest.raises(
        TrialsError, match="'z' is not a vendor of bake-off 'b': select one of a, x"
    ):
        selection.check_answer("z")
    with pytest.raises(
        TrialsError, match="Vendor 'x' of bake-off 'b' has left it: its trial b-x is exiting"
    ):
        selection.check_answer("x")
    selection.check_answer("a")
    selection.check_answer("none")


def test_the_gate_is_not_open_while_a_vendor_is_on_the_ladder() -> None:
    selection = select_among("b", "USD", [contender("a"), contender("p", phase=Phase.PILOTING)])
    with pytest.raises(TrialsError, match=r"not at its selection yet: p \(piloting\) still"):
        selection.check_answer("a")


def test_the_cost_per_rung_is_the_spend_on_the_rungs_done_over_their_number() -> None:
    """5,000 spent on the ladder, 4,000 of it on the two rungs done: 2,000 a rung; the
    rung in progress counts in neither."""
    done = contender("a").model_copy(update={"rungs_done": 2, "spent_done": Decimal(4000)})
    assert done.evaluation is not None and done.evaluation.budget.actual == Decimal(5000)
    assert done.cost_per_rung == Decimal("2000.00")
    assert contender("a").model_copy(update={"rungs_done": 0}).cost_per_rung is None
