"""Trials in the store: create one from a plan as a draft, read one in full."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models.budget import rung_cost
from models.errors import DuplicateError, NotFoundError
from models.evaluation import engagement_terms
from models.evidence import Measured
from models.keys import idempotency_key
from models.monitor import ANNOUNCED, ASKED
from models.phases import Phase
from models.plan import Plan, TokenRef
from models.tables import (
    AuditEntry,
    ExitStep,
    Expectation,
    Measurement,
    PilotTask,
    Trial,
    Vendor,
    utcnow,
)
from store.directives import GivenDirective, trial_directives
from store.measurements import evidence_of


class TrialDetail(BaseModel):
    """Everything `trials show` prints about one trial."""

    trial: Trial
    vendor: Vendor
    rungs: list[PilotTask]
    expectations: list[Expectation]
    exit_steps: list[ExitStep]
    audit: list[AuditEntry]
    directives: list[GivenDirective] = []
    # expectation row id -> its latest value from the source its plan names, with evidence
    latest: dict[int, Measured] = {}


def create_trial(*, session: Session, plan: Plan, actor: str) -> Trial:
    """Store the plan as a draft trial with its rungs, expectations and exit steps."""
    if session.exec(select(Trial.id).where(Trial.slug == plan.trial)).first() is not None:
        raise _duplicate(plan.trial)
    vendor_id = _upsert_vendor(session=session, plan=plan)
    plan_json = plan.model_dump_json()
    trial = Trial(
        slug=plan.trial,
        title=plan.title or plan.trial,
        vendor_id=vendor_id,
        currency=plan.currency,
        budget_estimate=plan.budget.estimate,
        budget_contingency=plan.budget.contingency,
        budget_cap=plan.budget.cap,
        plan_json=plan_json,
        plan_sha256=hashlib.sha256(plan_json.encode()).hexdigest(),
    )
    session.add(trial)
    try:
        session.flush()
    except IntegrityError:
        raise _duplicate(plan.trial) from None
    assert trial.id is not None
    session.add_all(_rows_for(plan, trial.id))
    session.add(
        AuditEntry(
            trial_id=trial.id,
            actor=actor,
            action="created",
            to_phase=Phase.DRAFT,
            reason=f"plan {plan.trial} stored as a draft",
        )
    )
    session.flush()
    return trial


def set_waiting_for(
    *, session: Session, slug: str, what: str | None, asked: str | None = None
) -> bool:
    """Record what the trial waits for, and since when (None: not waiting); True if the
    trial starts waiting for it now.

    `asked`, the note of a gate asking a person, goes in the audit log when the trial
    starts waiting there, not again when a rerun asks the same.
    """
    trial = get_trial(session=session, slug=slug)
    if trial.waiting_for == what:
        return False
    trial.waiting_for, trial.waiting_since = what, utcnow() if what else None
    session.add(trial)
    if asked is not None:
        assert trial.id is not None
        session.add(AuditEntry(trial_id=trial.id, actor="engine", action=ASKED, reason=asked))
    return True


def gate_was_announced(*, session: Session, slug: str, gate: str) -> bool:
    """Whether the opening of the trial's gate `gate` was sent to the plan's people."""
    trial = get_trial(session=session, slug=slug)
    return (
        session.exec(
            select(AuditEntry.id).where(
                AuditEntry.trial_id == trial.id,
                AuditEntry.action == ANNOUNCED,
                AuditEntry.reason == gate,
            )
        ).first()
        is not None
    )


def record_gate_announced(*, session: Session, slug: str, gate: str) -> None:
    """Record in the audit log that the opening of gate `gate` was sent, once."""
    if gate_was_announced(session=session, slug=slug, gate=gate):
        return
    trial_id = get_trial(session=session, slug=slug).id
    assert trial_id is not None
    session.add(AuditEntry(trial_id=trial_id, actor="engine", action=ANNOUNCED, reason=gate))


def get_trial(*, session: Session, slug: str) -> Trial:
    """The trial with this id, or a NotFoundError that says how to find the right one."""
    trial = session.exec(select(Trial).where(Trial.slug == slug)).first()
    if trial is None:
        raise NotFoundError(
            f"No trial '{slug}' in the store. `trials list` shows the trials "
            "there are; `trials create PLAN` adds one."
        )
    return trial


def trial_detail(*, session: Session, slug: str) -> TrialDetail:
    """The trial with its vendor, rungs, expectations (each with its latest value from its
    own source), exit steps and audit log."""
    trial = get_trial(session=session, slug=slug)
    return TrialDetail(
        latest=_latest_from_own_source(session, trial.id or 0),
        trial=trial,
        vendor=session.get_one(Vendor, trial.vendor_id),
        rungs=list(
            session.exec(
                select(PilotTask)
                .where(PilotTask.trial_id == trial.id)
                .order_by(col(PilotTask.engagement), col(PilotTask.position))
            )
        ),
        expectations=list(
            session.exec(
                select(Expectation)
                .where(Expectation.trial_id == trial.id)
                .order_by(col(Expectation.id))
            )
        ),
        exit_steps=list(
            session.exec(
                select(ExitStep)
                .where(ExitStep.trial_id == trial.id)
                .order_by(col(ExitStep.position))
            )
        ),
        audit=list(
            session.exec(
                select(AuditEntry)
                .where(AuditEntry.trial_id == trial.id)
                .order_by(col(AuditEntry.id))
            )
        ),
        directives=trial_directives(session=session, trial_id=trial.id or 0),
    )


def _duplicate(slug: str) -> DuplicateError:
    return DuplicateError(
        f"A trial '{slug}' is already stored. Rename the plan's `trial:` id to start "
        f"another trial, or use `trials show {slug}` to see the one there is."
    )


def _token_ref(token: TokenRef) -> str:
    return f"secret:{token.secret}" if token.secret else f"env:{token.env}"


def _upsert_vendor(*, session: Session, plan: Plan) -> int:
    """The vendor's id by name, created or updated to the plan's API settings."""
    vendor = session.exec(select(Vendor).where(Vendor.name == plan.vendor.name)).first()
    vendor = vendor or Vendor(name=plan.vendor.name, base_url="", token_ref="")
    vendor.base_url = str(plan.vendor.api.base_url)
    vendor.token_ref = _token_ref(plan.vendor.api.token)
    vendor.adapter = plan.vendor.api.adapter
    session.add(vendor)
    session.flush()
    assert vendor.id is not None
    return vendor.id


def _rows_for(plan: Plan, trial_id: int) -> list[PilotTask | Expectation | ExitStep]:
    """The first engagement's rungs and expectations, and the exit steps, from the plan."""
    rows: list[PilotTask | Expectation | ExitStep] = [*engagement_rows(plan, trial_id, 1)]
    rows += [
        ExitStep(
            trial_id=trial_id,
            kind=step,
            position=i,
            idempotency_key=idempotency_key(plan.trial, 1, "exit", step),
        )
        for i, step in enumerate(plan.exit_plan.steps)
    ]
    return rows


def engagement_rows(plan: Plan, trial_id: int, engagement: int) -> list[PilotTask | Expectation]:
    """The rungs and expectations of one engagement: the pilot, or the expansion."""
    terms = engagement_terms(plan, engagement)
    rows: list[PilotTask | Expectation] = [
        PilotTask(
            trial_id=trial_id,
            engagement=engagement,
            position=i,
            rung_key=r.id,
            title=r.title,
            hours=r.total_hours,
            estimate=rung_cost(r, plan.rate_card, plan.currency),
            currency=plan.currency,
            due_in_days=r.due_in_days,
            idempotency_key=idempotency_key(plan.trial, engagement, r.id, "work-item"),
        )
        for i, r in enumerate(terms.ladder)
    ]
    rows += [
        Expectation(
            trial_id=trial_id,
            engagement=engagement,
            key=e.id,
            metric=e.metric,
            comparator=e.comparator,
            target=e.target,
            unit=e.unit,
            source=e.source,
            holds_from=e.holds_from,
            holds_by=e.holds_by,
            weight=e.weight,
        )
        for e in terms.expectations
    ]
    return rows


def _latest_from_own_source(session: Session, trial_id: int) -> dict[int, Measured]:
    """Each expectation's latest value from the source its plan names."""
    rows = session.exec(
        select(Measurement, Expectation.source)
        .join(Expectation, col(Expectation.id) == col(Measurement.expectation_id))
        .where(Measurement.trial_id == trial_id, Measurement.source == Expectation.source)
        .order_by(col(Measurement.measured_at), col(Measurement.id))
    ).all()
    return {
        row.expectation_id: Measured(value=row.value, evidence=evidence_of(row))
        for row, _source in rows
    }
