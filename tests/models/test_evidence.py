"""Each expectation is scored on a value from the source its plan names, with provenance."""

from __future__ import annotations

from decimal import Decimal

from models.evidence import disagrees
from models.plan import Comparator, Expectation, Source
from models.scoring import scorecard
from tests.models.readings import AT, reading

D = Decimal
TODAY = AT.date()
SATISFACTION = Expectation(
    id="satisfaction",
    metric="csat_score",
    comparator=Comparator.GE,
    target=D("4.2"),
    unit="points of 5",
    source=Source.CLIENT_REVIEW,
    holds_from="rung-1",
)


def test_a_client_review_is_scored_not_the_vendors_own_value() -> None:
    readings = {
        "csat_score": [
            reading(D("4.8")),  # the vendor's metrics endpoint
            reading(D("3.1"), Source.CLIENT_REVIEW, by="Dana Reyes"),
        ]
    }
    [line] = scorecard([SATISFACTION], readings, ["rung-1"], TODAY).lines
    assert (line.measured, line.met, line.vendor_reported) == (D("3.1"), False, D("4.8"))
    assert line.disagrees and line.independent
    assert line.provenance == "client review by Dana Reyes"


def test_the_vendors_word_does_not_stand_in_for_a_missing_review() -> None:
    card = scorecard([SATISFACTION], {"csat_score": [reading(D("4.8"))]}, ["rung-1"], TODAY)
    [line] = card.lines
    assert (line.measured, line.met, line.evidence) == (None, False, None)
    assert line.provenance == "not measured yet (client review)"
    assert card.score == D(0)


def test_values_that_agree_within_tolerance_are_not_flagged() -> None:
    readings = {
        "csat_score": [reading(D("4.5")), reading(D("4.4"), Source.CLIENT_REVIEW, by="Dana")]
    }
    [line] = scorecard([SATISFACTION], readings, ["rung-1"], TODAY).lines
    assert line.met and not line.disagrees


def test_a_review_taken_by_policy_is_labelled_and_not_independent() -> None:
    stood_in = reading(D("4.8"), Source.CLIENT_REVIEW, by="policy")
    stood_in.evidence.stand_in = True
    [line] = scorecard([SATISFACTION], {"csat_score": [stood_in]}, ["rung-1"], TODAY).lines
    assert line.met and not line.independent
    assert line.provenance == "vendor-reported, taken by policy: no client review"


def test_the_latest_value_of_the_named_source_counts() -> None:
    readings = {
        "csat_score": [
            reading(D("3.0"), Source.CLIENT_REVIEW, by="Dana"),
            reading(D("4.5"), Source.CLIENT_REVIEW, by="Sam"),  # a correction
            reading(D("2.0")),
        ]
    }
    [line] = scorecard([SATISFACTION], readings, ["rung-1"], TODAY).lines
    assert (line.measured, line.evidence.produced_by if line.evidence else None) == (
        D("4.5"),
        "Sam",
    )


def test_disagreement_is_a_share_of_the_independent_value() -> None:
    assert disagrees(D("4.8"), D("3.1"), D("4.2"), D("0.10"))
    assert not disagrees(D("3.3"), D("3.1"), D("4.2"), D("0.10"))  # 0.2 ≤ 0.31
    assert disagrees(D("1"), D("0"), D("5"), D("0.10"))  # against the target when 0
