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


def test_expansion_on_independent_evidence_only_names_what_lacks_it() -> None:
    from models.gates import Choice, recommend
    from models.plan import Gates

    response = Expectation(
        id="first-response",
        metric="p90_minutes",
        comparator=Comparator.LE,
        target=D(30),
        unit="minutes",
        source=Source.VENDOR_METRICS,
        holds_from="rung-1",
    )
    readings = {
        "p90_minutes": [reading(D(20))],
        "csat_score": [reading(D("4.8")), reading(D("4.5"), Source.CLIENT_REVIEW, by="Dana")],
    }
    card = scorecard([response, SATISFACTION], readings, ["rung-1"], TODAY)
    strict = Gates(
        expand_at_score=D("0.8"), exit_below_score=D("0.6"), expand_requires_independent=True
    )
    advice = recommend(card, strict, D(100), D(200), True, "USD")
    assert advice.choice is Choice.EXTEND
    assert "'first-response' rests on the vendor's own figures" in advice.rationale[-1]
    lenient = strict.model_copy(update={"expand_requires_independent": False})
    assert recommend(card, lenient, D(100), D(200), True, "USD").choice is Choice.EXPAND


def test_a_disagreement_is_named_in_the_recommendation() -> None:
    from models.gates import recommend
    from models.plan import Gates

    readings = {
        "csat_score": [reading(D("4.8")), reading(D("3.1"), Source.CLIENT_REVIEW, by="Dana")]
    }
    card = scorecard([SATISFACTION], readings, ["rung-1"], TODAY)
    gates = Gates(expand_at_score=D("0.8"), exit_below_score=D("0.6"))
    advice = recommend(card, gates, D(100), D(200), True, "USD")
    assert (
        "'satisfaction': the vendor reports 4.80, the client review by Dana says 3.10 "
        "points of 5; scored on the latter" in advice.rationale
    )


def test_a_rung_waiting_for_review_past_the_window_is_reminded_once() -> None:
    from datetime import timedelta

    from models.acceptance import WAITING_FOR_REVIEW
    from models.monitor import Concern, Watch, escalations
    from models.phases import Phase

    watch = Watch(
        slug="t",
        trial_id=1,
        vendor="Acme",
        phase=Phase.PILOTING,
        engagement=1,
        waiting_for=WAITING_FOR_REVIEW,
        waiting_since=AT,
        open_rungs=[],
        last_heard=None,
        spent=D(0),
        cap=D(100),
        currency="USD",
        raised=set(),
        review_within=timedelta(days=5),
    )
    assert escalations(watch, AT + timedelta(days=4), timedelta(days=2)) == []
    [reminder] = escalations(watch, AT + timedelta(days=6), timedelta(days=2))
    assert reminder.concern is Concern.REVIEW_DUE and "`trials review t " in reminder.message
    assert watch.waits_for_a_person  # the monitor leaves the gate itself to people
    again = watch.model_copy(update={"raised": {reminder.key}})
    assert escalations(again, AT + timedelta(days=9), timedelta(days=2)) == []


def test_a_stand_in_is_only_a_value_a_person_could_have_written() -> None:
    from models.acceptance import AcceptanceRequest, ReviewDue

    def request(said: Decimal | None) -> AcceptanceRequest:
        due = ReviewDue(
            id="satisfaction",
            metric="csat_score",
            description=None,
            comparator=">=",
            target=D("4.2"),
            unit="points of 5",
            vendor_reported=said,
        )
        return AcceptanceRequest(
            slug="t", trial_id=1, engagement=1, rung="rung-3", due=[due], reviewed={}
        )

    assert request(D("4.8")).stand_ins() == {"satisfaction": D("4.8")}
    assert request(D("5.08")).stand_ins() is None  # off the scale: a person must review
    assert request(None).stand_ins() is None
