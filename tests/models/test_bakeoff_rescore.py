"""A bake-off's what-if: one shared expectation weighed differently flips the advised vendor,
and the sensitivity says at which weight."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import yaml

from models.bakeoff_rescore import rescore_bakeoff
from models.evaluation import EvaluationFacts, RungRecord, evaluate
from models.phases import Phase
from models.plan import Plan, Source
from models.rescore import WhatIf
from models.selection import Contender
from tests.conftest import EXAMPLES
from tests.models.readings import reading

D = Decimal
TODAY = date(2026, 11, 27)
AT = datetime(2026, 11, 20, tzinfo=UTC)
MET = {  # every expectation of the helpdesk pilot met; weights 3, 2, 2, 2 and 1
    "p90_first_response_minutes": D(20),
    "p90_resolution_hours": D(6),
    "reopened_tickets_percent": D(3),
    "csat_score": D("4.5"),
    "runbook_pages": D(12),
}


def shared_ladder(slug: str, actual: str, missed: dict[str, Decimal]) -> EvaluationFacts:
    """A vendor's shared ladder, every rung done, its values as MET but for `missed`."""
    plan = Plan.model_validate(yaml.safe_load((EXAMPLES / "helpdesk-takeover.yaml").read_text()))
    sources = {"csat_score": Source.CLIENT_REVIEW, "runbook_pages": Source.DELIVERABLES}
    values = MET | missed
    return EvaluationFacts(
        slug=slug,
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
                status="accepted",
                submitted_at=AT,
                completed_at=AT,
            )
            for n, rung in enumerate(plan.pilot)
        ],
        measured={
            metric: [reading(value, sources.get(metric, Source.VENDOR_METRICS))]
            for metric, value in values.items()
        },
        actual=D(actual),
        overrides=[],
    )


def entrants() -> list[tuple[Contender, EvaluationFacts | None]]:
    """alpha misses reopen-rate (weight 2): 8/10; beta misses runbooks (weight 1): 9/10,
    but costs more, so alpha wins a tie on score."""
    found: list[tuple[Contender, EvaluationFacts | None]] = []
    for vendor, actual, missed in (
        ("alpha", "2900", {"reopened_tickets_percent": D(9)}),
        ("beta", "3500", {"runbook_pages": D(4)}),
    ):
        facts = shared_ladder(f"b-{vendor}", actual, missed)
        contender = Contender(
            vendor=vendor,
            name=vendor.title(),
            slug=facts.slug,
            phase=Phase.EVALUATING,
            evaluation=evaluate(facts, TODAY),
            rungs_done=3,
        )
        found.append((contender, facts))
    return found


def test_weighing_the_runbooks_more_flips_the_advice_from_beta_to_alpha() -> None:
    stored = rescore_bakeoff("b", "USD", entrants(), WhatIf(), TODAY)
    assert stored.old.vendor == stored.new.vendor == "beta" and not stored.flipped
    assert [(s.vendor, s.new_score) for s in stored.standings] == [
        ("alpha", D("0.800")),
        ("beta", D("0.900")),
    ]
    lines = {s.id: s.line for s in stored.sensitivity}
    # With runbooks at w: alpha (7 + w) / (9 + w), beta 9 / (9 + w): equal at w = 2, where
    # alpha's lower estimate at completion decides; at 1.99 beta still leads, 0.819 to 0.818.
    assert lines["runbooks"] == "the advice becomes alpha at 2 or more"
    # With reopen-rate at w: alpha 8 / (8 + w), beta (7 + w) / (8 + w): equal at w = 1.
    assert lines["reopen-rate"] == "the advice becomes alpha at 1 or less"

    heavier = rescore_bakeoff("b", "USD", entrants(), WhatIf(weights={"runbooks": D(2)}), TODAY)
    assert (heavier.old.vendor, heavier.new.vendor) == ("beta", "alpha") and heavier.flipped
    assert [(s.vendor, s.old_score, s.new_score) for s in heavier.standings] == [
        ("alpha", D("0.800"), D("0.818")),
        ("beta", D("0.900"), D("0.818")),
    ]
    [runbooks] = [s for s in heavier.sensitivity if s.id == "runbooks"]
    assert runbooks.weight == D(2)
    assert runbooks.line == "the advice becomes beta at 1.99 or less"
