"""Expectations computed from delivered files: read the archive back, then record."""

from __future__ import annotations

from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from config import get_settings
from models.context import TrialContext
from models.deliverables import Outcome, Problem, matched, no_match, outcome
from models.plan import Source
from models.tables import utcnow
from store.archive import read_back
from store.db import read_session, write_session
from store.deliverables import archived_so_far, measurement_key, record_outcome
from store.ladder import RungView


async def measure_deliverables(trial: TrialContext, rung: RungView) -> list[Outcome]:
    """Each deliverables expectation computed over the engagement's files archived up to
    this rung, every file checked against its sha256 first; a value or its problems."""
    with read_session() as session:
        files = archived_so_far(
            session=session,
            trial_id=trial.trial_id,
            engagement=trial.engagement,
            position=rung.position,
        )
    data_dir = get_settings().data_dir
    outcomes = []
    for exp in trial.expectations:
        if exp.source is not Source.DELIVERABLES:
            continue
        rule = exp.measure
        if rule is None:  # a plan stored before rules existed
            outcomes.append(_no_rule(exp.id))
            continue
        chosen = matched(rule, files)
        if not chosen:
            outcomes.append(no_match(exp.id, rule, files))
            continue
        read = [read_back(data_dir, f, rule.kind) for f in chosen]
        outcomes.append(outcome(exp.id, rule, read))
    return outcomes


@task(cache_policy=NO_CACHE)
async def record_deliverables(
    trial: TrialContext, rung: RungView, outcomes: list[Outcome], at: datetime | None
) -> None:
    """Record each value once, at the rung's delivery time, or why there is none."""
    settings = get_settings()
    at = at or utcnow()
    with write_session() as session:
        for found in outcomes:
            record_outcome(
                session=session,
                trial_id=trial.trial_id,
                engagement=trial.engagement,
                rung_id=rung.id,
                key=measurement_key(rung.idempotency_key, found.expectation),
                outcome=found,
                at=at,
                actor=settings.actor,
            )
    logger = get_run_logger()
    for found in outcomes:
        for problem in found.problems:
            logger.warning(
                "%s at %s is not measured: %s", found.expectation, rung.rung_key, problem
            )


def _no_rule(expectation: str) -> Outcome:
    problem = Problem(
        message="the plan says the value comes from deliverables but gives no measure rule",
        fix='add measure: {count: "runbooks/*.md"}, {bytes: "*.pdf"} or {pages: "*.pdf"} '
        "to the expectation, then validate the plan",
    )
    return Outcome(expectation=expectation, rule="no rule", value=None, problems=[problem])
