"""DB-write tasks on a trial's state: each one short transaction, safe to repeat.

The store is synchronous, yet every task here and in the other modules is `async`: in an
async flow a sync task run costs about 50 ms more, and it holds the event loop, so trials
run side by side waited on each other. A short transaction inside an async task holds the
loop for a few milliseconds, and never across an `await`, so no lock is held while waiting.

Reads of the store (`load_trial`, `decision_on_record`, and their like in the other
modules) and the progress and report artifacts are plain functions, not tasks: a task run
around them has nothing to retry or cache and shows nothing the flow's own run does not,
and they were most of a trial's task runs (`bench/task_runs.py`). Each vendor side effect
and each state write stays a task of its own; a vendor read is folded into the task that
records what it read.
"""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE
from sqlmodel import select

from adapters.contract import AccessGrant
from config import get_settings
from models.context import TrialContext
from models.keys import idempotency_key
from models.phases import Phase
from models.tables import ExitStep
from store.context import load_context
from store.db import read_session, write_session
from store.decisions import RecordedDecision, add_decision, find_decision
from store.effects import record_intent, record_outcome
from store.phases import change_phase
from store.trials import gate_was_announced, record_gate_announced, set_waiting_for
from tasks.connection import vendor_api
from tasks.vendor import vendor_call


async def load_trial(slug: str) -> TrialContext:
    """Read the trial, its vendor and its plan."""
    with read_session() as session:
        return load_context(session=session, slug=slug)


@task(cache_policy=NO_CACHE)
async def move_phase(slug: str, to: Phase, reason: str) -> bool:
    """Move the trial to `to` with an audit row; a repeat is a no-op."""
    with write_session() as session:
        return change_phase(
            session=session, slug=slug, to=to, actor=get_settings().actor, reason=reason
        )


@task(cache_policy=NO_CACHE)
async def set_waiting(slug: str, what: str | None, asked: str | None = None) -> bool:
    """Record what the trial waits for, and since when (None: not waiting); `asked` notes
    what a person is asked, in the audit log, once. True if the trial starts waiting now."""
    with write_session() as session:
        return set_waiting_for(session=session, slug=slug, what=what, asked=asked)


async def gate_announced(slug: str, gate: str) -> bool:
    """Whether the opening of the trial's gate was sent to the plan's people."""
    with read_session() as session:
        return gate_was_announced(session=session, slug=slug, gate=gate)


@task(cache_policy=NO_CACHE)
async def mark_gate_announced(slug: str, gate: str) -> None:
    """Record that the opening of the trial's gate was sent, so no rerun sends it again."""
    with write_session() as session:
        record_gate_announced(session=session, slug=slug, gate=gate)


@task(cache_policy=NO_CACHE)
async def save_intent(trial_id: int, key: str, kind: str, request_json: str) -> str:
    """Write the intent before the vendor call; return its status (intent or done)."""
    with write_session() as session:
        return record_intent(
            session=session, trial_id=trial_id, key=key, kind=kind, request_json=request_json
        ).status


@task(cache_policy=NO_CACHE)
async def save_outcome(key: str, vendor_ref: str, response_json: str) -> None:
    """Record what the vendor answered to the effect with `key`."""
    with write_session() as session:
        record_outcome(session=session, key=key, vendor_ref=vendor_ref, response_json=response_json)


@vendor_call
async def record_grants(trial: TrialContext) -> list[AccessGrant]:
    """List the access grants the vendor holds for the trial (retried while it is
    unavailable), and give each new one its own revocation step on the exit plan; the grants."""
    grants = await (await vendor_api(trial.vendor)).access_grants(trial.slug)
    with write_session() as session:
        known = set(
            session.exec(
                select(ExitStep.target).where(
                    ExitStep.trial_id == trial.trial_id, ExitStep.kind == "access_revocation"
                )
            )
        )
        base = max(
            session.exec(
                select(ExitStep.position).where(ExitStep.trial_id == trial.trial_id)
            ).all(),
            default=0,
        )
        new = [g for g in grants if g.id not in known]
        for offset, grant in enumerate(new, start=1):
            session.add(
                ExitStep(
                    trial_id=trial.trial_id,
                    kind="access_revocation",
                    position=base + offset,
                    target=grant.id,
                    detail=grant.model_dump_json(),
                    idempotency_key=idempotency_key(trial.slug, 1, "exit", "revoke", grant.id),
                )
            )
    return grants


async def decision_on_record(trial_id: int, gate: str) -> RecordedDecision | None:
    """The decision recorded at the gate, e.g. by `trials decide` while no run waited."""
    with read_session() as session:
        return find_decision(session=session, trial_id=trial_id, gate=gate)


@task(cache_policy=NO_CACHE)
async def record_decision(
    trial_id: int,
    gate: str,
    choice: str,
    recommendation: str | None,
    reason: str,
    decided_by: str,
    evidence: dict[str, object],
) -> None:
    """Record the decision at a gate once: who, when, why, and the evidence."""
    with write_session() as session:
        add_decision(
            session=session,
            trial_id=trial_id,
            gate=gate,
            choice=choice,
            recommendation=recommendation,
            reason=reason,
            decided_by=decided_by,
            evidence=evidence,
        )
