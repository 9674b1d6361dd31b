"""What-if re-scoring: new weights and thresholds, what flips, and what it refuses."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import yaml

from models.errors import TrialsError
from models.evaluation import EvaluationFacts, RungRecord
from models.gates import Choice
from models.phases import Phase
from models.plan import Plan, Source
from models.rescore import WhatIf, parse_share, parse_weights, rescore
from tests.conftest import EXAMPLES
from tests.models.readings import reading

D = Decimal
TODAY = date(2026, 11, 27)
AT = datetime(2026, 11, 20, tzinfo=UTC)


def facts(rungs_done: int = 3) -> EvaluationFacts:
    """The helpdesk pilot with every rung done: reopen-rate missed, the rest met; 80%."""
    plan = Plan.model_validate(yaml.safe_load((EXAMPLES / "helpdesk-takeover.yaml").read_text()))
    return EvaluationFacts(
        slug="t",
        trial_id=1,
        phase=Phase.EVALUATING,
        engagement=1,
        currency="USD",
        cap=D(15500),
        plan=plan,
        rungs=[
            RungRecord(
                key=rung.id,
                title=rung.title,
                position=n,
                hours=rung.total_hours,
                estimate=D(1000),
                due_in_days=rung.due_in_days,
                status="accepted" if n < rungs_done else "planned",
                submitted_at=AT if n < rungs_done else None,
                completed_at=AT if n < rungs_done else None,
            )
            for n, rung in enumerate(plan.pilot)
        ],
        measured={
            "p90_first_response_minutes": [reading(D(20))],
            "p90_resolution_hours": [reading(D(6))],
            "reopened_tickets_percent": [reading(D(9))],  # missed: target <= 5
            "csat_score": [reading(D("4.5"), Source.CLIENT_REVIEW, "Dana Reyes")],
            "runbook_pages": [reading(D(12), Source.DELIVERABLES, "the archive")],
        },
        actual=D(2900),
        overrides=[],
    )


def test_unchanged_weights_give_the_stored_outcome_and_where_each_weight_flips_it() -> None:
    result = rescore(facts(), WhatIf(), TODAY)
    assert (result.old.score, result.old.choice) == (D("0.800"), Choice.EXPAND)
    assert result.new == result.old and not result.flipped
    assert result.changes[0].startswith("nothing changed")
    lines = {s.id: s.line for s in result.sensitivity}
    # 8 met of 8 + w due: under 0.8 from w > 2, under 0.6 from w > 5.33 (at the score's
    # rounding to 0.001: 8/13.34 shows 0.600, 8/13.35 0.599).
    assert lines["reopen-rate"] == "flips to extend at 2.01 or more"
    # (5 + w) / (7 + w) rounds to 0.800 down to w = 2.98, to 0.799 at 2.97.
    assert lines["first-response"] == "flips to extend at 2.97 or less"
    assert all(s.flips == [] or s.id in lines for s in result.sensitivity)


def test_weighting_the_missed_expectation_higher_flips_the_recommendation() -> None:
    result = rescore(facts(), WhatIf(weights={"reopen-rate": D(6)}), TODAY)
    assert result.flipped and (result.new.score, result.new.choice) == (D("0.571"), Choice.EXIT)
    assert result.changes == [
        "'reopen-rate' weighs 6 instead of 2 (missed)",
        "the recommendation flips from expand to exit: the score 57.1% is below exit-below 60%",
    ]
    [line] = [line for line in result.lines if line.id == "reopen-rate"]
    assert (line.old_weight, line.new_weight, line.met) == (D(2), D(6), False)
    reopen = next(s for s in result.sensitivity if s.id == "reopen-rate")
    assert reopen.line == "flips to extend at 5.34 or less"  # 8/13.34 rounds to 0.600


def test_new_thresholds_move_the_bands() -> None:
    result = rescore(facts(), WhatIf(expand_at=D("0.9")), TODAY)
    assert (result.old.choice, result.new.choice) == (Choice.EXPAND, Choice.EXTEND)
    assert "expand at 90% instead of 80%" in result.changes
    assert result.changes[-1].endswith("between exit-below 60% and expand-at 90%")


def test_an_expectation_not_due_yet_has_no_flip() -> None:
    result = rescore(facts(rungs_done=2), WhatIf(weights={"runbooks": D(9)}), TODAY)
    runbooks = next(s for s in result.sensitivity if s.id == "runbooks")
    assert runbooks.line == "none in 0–10 (not due yet)"
    assert "'runbooks' weighs 9 instead of 1: not due yet, so it does not count" in result.changes


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (WhatIf(weights={"speed": D(1)}), "has no expectation 'speed' in engagement 1"),
        (
            WhatIf(
                weights={
                    e: D(0)
                    for e in (
                        "first-response",
                        "resolution-time",
                        "reopen-rate",
                        "satisfaction",
                        "runbooks",
                    )
                }
            ),
            "Every expectation would weigh 0",
        ),
        (WhatIf(expand_at=D("0.5")), "--expand-at 50% is below --exit-below 60%"),
    ],
)
def test_what_cannot_be_scored_is_refused(change: WhatIf, message: str) -> None:
    with pytest.raises(TrialsError, match=message):
        rescore(facts(), change, TODAY)


def test_due_weights_all_zero_are_refused() -> None:
    zero = {"first-response": D(0), "reopen-rate": D(0)}
    with pytest.raises(TrialsError, match=r"due so far \(first-response, reopen-rate\)"):
        rescore(facts(rungs_done=2), WhatIf(weights=zero), TODAY)


def test_command_line_values_are_read_or_refused_with_the_fix() -> None:
    assert parse_weights(["first-response=5", " runbooks = 0.5"]) == {
        "first-response": D(5),
        "runbooks": D("0.5"),
    }
    assert parse_share("80%", "--expand-at") == D("0.8") and parse_share(None, "x") is None
    for bad, message in [
        ("first-response", "is not EXPECTATION=W"),
        ("first-response=-1", "is negative"),
        ("first-response=lots", "'lots' is not a number"),
        ("first-response=nan", "is not a number"),
    ]:
        with pytest.raises(TrialsError, match=message):
            parse_weights([bad])
    with pytest.raises(TrialsError, match="is not a score from 0 to 1"):
        parse_share("1.5", "--expand-at")
