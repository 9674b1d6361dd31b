"""What a decision at the evaluation gate writes: the decision, an extra rung, an engagement."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from models.errors import DuplicateError, StoreError
from models.evaluation import PHASE_AFTER, engagement_terms, extension_key
from models.gates import Choice
from models.keys import idempotency_key
from models.money import money
from models.monitor import waiting_to_apply
from models.plan import Plan
from models.tables import AuditEntry, Decision, PilotTask, Trial, utcnow
from store.engagements import close_engagement, engagement_budget
from store.phases import change_phase
from store.trials import engagement_rows, get_trial, set_waiting_for


class RecordedDecision(BaseModel):
    """A decision on record at a gate."""

    gate: str
    choice: str
    recommendation: str | None
    reason: str
    decided_by: str
    decided_at: datetime
    evidence: dict[str, object] = {}
    value: Decimal | None = None  # the value it sets, typed: a raised cap


def find_decision(*, session: Session, trial_id: int, gate: str) -> RecordedDecision | None:
    """The decision recorded at `gate`, if any."""
    row = _first_at(session, trial_id, gate)
    if row is None:
        return None
    return RecordedDecision.model_validate(
        row.model_dump(exclude={"evidence_json"}) | {"evidence": json.loads(row.evidence_json)}
    )


def add_decision(
    *,
    session: Session,
    trial_id: int,
    gate: str,
    choice: str,
    recommendation: str | None,
    reason: str,
    decided_by: str,
    evidence: dict[str, object],
) -> bool:
    """Record the decision at `gate` unless one is there already; whether it was recorded."""
    if _first_at(session, trial_id, gate) is not None:
        return False
    session.add(
        Decision(
            trial_id=trial_id,
            gate=gate,
            choice=choice,
            recommendation=recommendation,
            reason=reason,
            decided_by=decided_by,
            evidence_json=json.dumps(evidence, default=str),
            value=_value_set(evidence),
        )
    )
    return True


def _value_set(evidence: dict[str, object]) -> Decimal | None:
    """The value a decision sets, from its evidence, exact (a cap is recorded as its text)."""
    new_cap = evidence.get("new_cap")
    return None if new_cap is None else Decimal(str(new_cap))


def record_pending_decision(
    *,
    session: Session,
    slug: str,
    trial_id: int,
    gate: str,
    choice: str,
    recommendation: str | None,
    reason: str,
    decided_by: str,
    evidence: dict[str, object],
    applied_by: str,
) -> None:
    """Record a decision taken while no run waited at the gate; the next run applies it.

    `applied_by` names the flow whose next run applies it, for the messages.
    """
    added = add_decision(
        session=session,
        trial_id=trial_id,
        gate=gate,
        choice=choice,
        recommendation=recommendation,
        reason=reason,
        decided_by=decided_by,
        evidence=evidence,
    )
    if not added:
        raise DuplicateError(
            f"Trial '{slug}' has a decision at {gate} already; the next `{applied_by}` run "
            "applies it."
        )
    session.add(
        AuditEntry(
            trial_id=trial_id,
            actor=decided_by,
            action="decision_recorded",
            reason=f"{gate}: {choice}, to be applied by the next {applied_by} run: {reason}",
        )
    )
    # Decided: the trial waits for a run now, not for a person, so the monitor carries it on.
    set_waiting_for(session=session, slug=slug, what=waiting_to_apply(gate))


def apply_decision(*, session: Session, slug: str, gate: str, actor: str) -> Choice:
    """Move the trial as the decision at `gate` says; extending adds its rung in the same step."""
    trial = get_trial(session=session, slug=slug)
    assert trial.id is not None
    decision = _first_at(session, trial.id, gate)
    if decision is None:
        raise StoreError(f"Trial '{slug}' has no decision at {gate} to apply.")
    choice = Choice(decision.choice)
    reason = f"{gate}: {choice} decided by {decision.decided_by}: {decision.reason}"
    if change_phase(session=session, slug=slug, to=PHASE_AFTER[choice], actor=actor, reason=reason):
        if choice is Choice.EXTEND:
            add_extension_rung(session=session, slug=slug)
    return choice


def add_extension_rung(*, session: Session, slug: str) -> PilotTask:
    """One more rung on the current engagement: a repeat of its ladder's last planned rung."""
    trial = get_trial(session=session, slug=slug)
    planned = {r.id for r in engagement_terms(_plan(trial), trial.engagement).ladder}
    rungs = session.exec(
        select(PilotTask)
        .where(PilotTask.trial_id == trial.id, PilotTask.engagement == trial.engagement)
        .order_by(col(PilotTask.position))
    ).all()
    last = [r for r in rungs if r.rung_key in planned][-1]
    key = extension_key(last.rung_key, sum(r.rung_key not in planned for r in rungs) + 1)
    rung = PilotTask(
        trial_id=last.trial_id,
        engagement=last.engagement,
        position=rungs[-1].position + 1,
        rung_key=key,
        title=f"{last.title[:480]} (repeat {key})",
        hours=last.hours,
        estimate=last.estimate,
        currency=last.currency,
        due_in_days=last.due_in_days,
        idempotency_key=idempotency_key(slug, last.engagement, key, "work-item"),
    )
    session.add(rung)
    session.flush()
    return rung


def open_expansion(*, session: Session, slug: str, actor: str) -> str:
    """Open engagement 2 from the plan's expansion: ladder, expectations and budget, once."""
    trial = get_trial(session=session, slug=slug)
    terms = engagement_terms(_plan(trial), 2)
    note = (
        f"engagement 2 opened: {terms.title}; {len(terms.ladder)} rungs, budget "
        f"{money(terms.budget.estimate, trial.currency)} {trial.currency} "
        f"(cap {money(terms.budget.cap, trial.currency)}); the exit plan "
        "carries forward"
    )
    closing = engagement_budget(session=session, trial=trial, engagement=1)  # a raise kept
    opened = session.execute(
        update(Trial)
        .where(col(Trial.id) == trial.id, col(Trial.engagement) == 1)
        .values(
            engagement=2,
            budget_estimate=terms.budget.estimate,
            budget_contingency=terms.budget.contingency,
            budget_cap=terms.budget.cap,
            updated_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    if opened.rowcount != 1:  # type: ignore[attr-defined]
        return note  # opened before
    assert trial.id is not None
    close_engagement(session=session, trial_id=trial.id, engagement=1, budget=closing)
    session.add_all(engagement_rows(_plan(trial), trial.id, 2))
    session.add(AuditEntry(trial_id=trial.id, actor=actor, action="engagement_opened", reason=note))
    session.flush()
    session.expire(trial)
    return note


def _first_at(session: Session, trial_id: int, gate: str) -> Decision | None:
    """The first decision recorded at the gate: it wins if two writers raced."""
    return session.exec(
        select(Decision)
        .where(Decision.trial_id == trial_id, Decision.gate == gate)
        .order_by(col(Decision.id))
    ).first()


def _plan(trial: Trial) -> Plan:
    return Plan.model_validate_json(trial.plan_json)
