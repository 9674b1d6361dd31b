"""Client reviews at a rung's acceptance gate: read what is due, record what was answered."""

from __future__ import annotations

from decimal import Decimal

from prefect import task
from prefect.cache_policies import NO_CACHE

from models.acceptance import AcceptanceRequest
from models.context import TrialContext
from models.tables import utcnow
from store.db import read_session, write_session
from store.reviews import acceptance_request, acceptance_stop, record_review, reviewed_at


async def read_acceptance(trial: TrialContext, rung: str) -> AcceptanceRequest:
    """The reviews due at the rung's acceptance gate, and those recorded."""
    with read_session() as session:
        return acceptance_request(session=session, trial=trial, rung=rung, today=utcnow().date())


async def read_acceptance_stop(slug: str) -> AcceptanceRequest | None:
    """The acceptance gate the trial waits at, if it waits at one."""
    with read_session() as session:
        return acceptance_stop(session=session, slug=slug, today=utcnow().date())


@task(cache_policy=NO_CACHE)
async def record_reviews(
    request: AcceptanceRequest,
    values: dict[str, Decimal],
    by: str,
    note: str,
    stand_in: bool = False,
) -> int:
    """Record the values of the reviews still missing at the gate, in one transaction; how
    many were new (a repeat after a crash, or a review `trials review` recorded meanwhile,
    records none again)."""
    with write_session() as session:
        missing = {d.id for d in request.due} - reviewed_at(
            session=session, slug=request.slug, rung=request.rung
        )
        for expectation, value in values.items():
            if expectation in missing:
                record_review(
                    session=session,
                    slug=request.slug,
                    expectation=expectation,
                    value=str(value),
                    by=by,
                    note=note,
                    rung=request.rung,
                    stand_in=stand_in,
                )
    return len(missing & values.keys())
