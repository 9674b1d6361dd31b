"""DB tasks of budget control: threshold crossings recorded and announced, the cap gate applied."""

from __future__ import annotations

from decimal import Decimal

from prefect import task
from prefect.cache_policies import NO_CACHE

from config import get_settings
from models.budget import Threshold
from models.cap import CapRequest
from models.context import TrialContext
from store.budget import (
    AlertView,
    apply_cap_decision,
    cap_stop,
    mark_alerts_announced,
    record_alerts,
    unannounced_alerts,
)
from store.db import read_session, write_session
from store.ladder import RungView


@task(cache_policy=NO_CACHE)
async def record_crossings(
    trial: TrialContext, marks: list[Threshold], spent: Decimal
) -> list[AlertView]:
    """Record the thresholds crossed, once each; those whose events are still to be sent."""
    with write_session() as session:
        record_alerts(
            session=session,
            trial_id=trial.trial_id,
            marks=marks,
            spent=spent,
            currency=trial.plan.currency,
        )
        session.flush()
        return unannounced_alerts(session=session, trial_id=trial.trial_id)


@task(cache_policy=NO_CACHE)
async def mark_announced(alerts: list[AlertView]) -> None:
    """Note that these crossings' events were handed to Prefect."""
    with write_session() as session:
        mark_alerts_announced(session=session, ids=[alert.id for alert in alerts])


@task(cache_policy=NO_CACHE)
async def apply_cap_decision_at(slug: str, gate: str, rung: RungView) -> str:
    """Raise the cap, or stop the ladder at the rung for a rescope or an exit."""
    with write_session() as session:
        return apply_cap_decision(
            session=session, slug=slug, gate=gate, rung_id=rung.id, actor=get_settings().actor
        )


async def read_cap_stop(slug: str) -> CapRequest | None:
    """The cap gate the trial's ladder stopped at, if it stopped at one."""
    with read_session() as session:
        return cap_stop(session=session, slug=slug)
