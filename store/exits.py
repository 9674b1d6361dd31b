"""The exit in the store: its steps, the files it archived, the report they make, and the
rehearsals of it."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from models.errors import StoreError
from models.exit_readiness import NOTHING_TO_REHEARSE, ExitReadiness, ReadinessCheck
from models.exit_rules import (
    DATA_EXPORT,
    KT_DOCUMENT,
    ArchivedFile,
    ExitReport,
    StepLine,
    StepStatus,
)
from models.phases import Phase
from models.plan import ExitStepKind
from models.tables import ExitRehearsal, ExitStep, StoredFile, Trial, utcnow
from store.trials import get_trial


def exit_steps(*, session: Session, trial_id: int) -> list[StepLine]:
    """The trial's exit steps in plan order, then one revocation per grant."""
    rows = session.exec(
        select(ExitStep)
        .where(ExitStep.trial_id == trial_id)
        .order_by(col(ExitStep.position), col(ExitStep.id))
    )
    return [
        StepLine(
            key=r.idempotency_key,
            kind=r.kind,
            target=r.target,
            status=StepStatus(r.status),
            detail=r.detail,
        )
        for r in rows
    ]


def set_step(*, session: Session, key: str, status: StepStatus, detail: str) -> None:
    """Record where the step with `key` stands; a repeat changes nothing but the detail."""
    step = session.exec(select(ExitStep).where(ExitStep.idempotency_key == key)).first()
    if step is None:
        raise StoreError(f"No exit step with key {key} in the store; was the trial deleted?")
    if step.status == StepStatus.DONE and status != StepStatus.DONE:
        return  # done is final: a late failure report must not undo a verified step
    if (step.status, step.detail) == (status, detail):
        return
    step.status, step.detail, step.updated_at = status, detail, utcnow()
    if status == StepStatus.DONE and step.completed_at is None:
        step.completed_at = step.updated_at
    session.add(step)


def archived_files(*, session: Session, trial_id: int, kinds: list[str]) -> list[ArchivedFile]:
    """The files archived for the trial, of these kinds, in the order they were first stored."""
    rows = session.exec(
        select(StoredFile)
        .where(StoredFile.trial_id == trial_id, col(StoredFile.kind).in_(kinds))
        .order_by(col(StoredFile.id))
    )
    return [ArchivedFile.model_validate(r, from_attributes=True) for r in rows]


def exit_report(*, session: Session, slug: str) -> ExitReport:
    """The exit as the store records it: steps, grants, archived files, reconciliation."""
    trial = get_trial(session=session, slug=slug)
    assert trial.id is not None
    steps = exit_steps(session=session, trial_id=trial.id)
    plan_steps = [s for s in steps if s.target is None]
    invoice = [s for s in plan_steps if s.kind == ExitStepKind.FINAL_INVOICE]
    return ExitReport(
        trial=slug,
        phase=Phase(trial.phase),
        steps=plan_steps,
        grants=[s for s in steps if s.target is not None],
        archived=archived_files(
            session=session, trial_id=trial.id, kinds=[KT_DOCUMENT, DATA_EXPORT]
        ),
        reconciliation=(
            invoice[0].detail if invoice and invoice[0].status is StepStatus.DONE else None
        ),
    )


def record_rehearsal(*, session: Session, trial_id: int, result: ExitReadiness) -> int:
    """Store a rehearsal of the trial's exit; every rehearsal is a row of its own."""
    row = ExitRehearsal(
        trial_id=trial_id,
        score=result.score,
        checks_json=json.dumps([c.model_dump(mode="json") for c in result.checks]),
        rehearsed_at=result.rehearsed_at,
    )
    session.add(row)
    session.flush()
    assert row.id is not None
    return row.id


def latest_rehearsal(*, session: Session, trial_id: int) -> ExitReadiness | None:
    """The trial's most recent exit rehearsal, or None if its exit was never rehearsed."""
    found = session.exec(
        select(ExitRehearsal, Trial.slug)
        .join(Trial, col(Trial.id) == ExitRehearsal.trial_id)
        .where(ExitRehearsal.trial_id == trial_id)
        .order_by(col(ExitRehearsal.rehearsed_at).desc(), col(ExitRehearsal.id).desc())
    ).first()
    if found is None:
        return None
    row, slug = found
    return ExitReadiness(
        trial=slug,
        score=row.score,
        checks=[ReadinessCheck.model_validate(c) for c in json.loads(row.checks_json)],
        rehearsed_at=row.rehearsed_at,
    )


def rehearsable_trials(*, session: Session) -> list[str]:
    """The trials whose exit can be rehearsed: started and not finished, by id."""
    return list(
        session.exec(
            select(Trial.slug)
            .where(col(Trial.phase).not_in(list(NOTHING_TO_REHEARSE)))
            .order_by(col(Trial.slug))
        )
    )
