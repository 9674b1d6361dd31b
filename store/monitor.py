"""What the monitor and the status views read and write: active trials, their status, and
the escalations raised."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models.budget import DONE
from models.gate_kinds import WAITING_FOR_A_PERSON
from models.monitor import Escalation
from models.phases import TERMINAL, Phase
from models.status import TrialStatus
from models.tables import (
    AuditEntry,
    PilotTask,
    RaisedEscalation,
    Trial,
    Vendor,
    utcnow,
)
from store.gates import open_gate
from store.ladder import timesheet_spend

MONITOR = "monitor"


def raise_escalations(*, session: Session, trial_id: int, found: list[Escalation]) -> int:
    """Record the new escalations, each with a note in the trial's audit log; how many were new."""
    raised = set(
        session.exec(
            select(RaisedEscalation.key).where(RaisedEscalation.trial_id == trial_id)
        ).all()
    )
    new = [e for e in found if e.key not in raised]
    for escalation in new:
        session.add(
            RaisedEscalation(
                trial_id=trial_id,
                key=escalation.key,
                concern=escalation.concern,
                message=escalation.message,
            )
        )
        session.add(
            AuditEntry(
                trial_id=trial_id, actor=MONITOR, action="escalated", reason=escalation.message
            )
        )
    return len(new)


def unannounced(*, session: Session) -> list[tuple[int, str, Escalation]]:
    """The escalations whose Prefect event was not emitted yet: id, trial and escalation."""
    rows = session.exec(
        select(RaisedEscalation, Trial.slug)
        .join(Trial, col(Trial.id) == RaisedEscalation.trial_id)
        .where(col(RaisedEscalation.emitted_at).is_(None))
        .order_by(col(RaisedEscalation.id))
    ).all()
    return [
        (
            row.id,
            slug,
            Escalation.model_validate(row, from_attributes=True),
        )
        for row, slug in rows
        if row.id is not None
    ]


def mark_announced(*, session: Session, ids: list[int], at: datetime | None = None) -> None:
    """Record that the escalations' events were handed to Prefect."""
    for row in session.exec(select(RaisedEscalation).where(col(RaisedEscalation.id).in_(ids))):
        row.emitted_at = at or utcnow()
        session.add(row)


def trial_statuses(*, session: Session, active_only: bool = False) -> list[TrialStatus]:
    """Every trial's status, by id; with `active_only`, the started and unfinished ones."""
    query = select(Trial, Vendor.name).join(Vendor, col(Vendor.id) == Trial.vendor_id)
    if active_only:
        query = query.where(col(Trial.phase).not_in([Phase.DRAFT, *TERMINAL]))
    return [
        _status(session, trial, vendor)
        for trial, vendor in session.exec(query.order_by(col(Trial.slug))).all()
    ]


def _status(session: Session, trial: Trial, vendor: str) -> TrialStatus:
    assert trial.id is not None
    rungs = session.exec(
        select(PilotTask)
        .where(PilotTask.trial_id == trial.id, PilotTask.engagement == trial.engagement)
        .order_by(col(PilotTask.position))
    ).all()
    done = [r for r in rungs if r.status in DONE]
    open_rungs = [r for r in rungs if r.status in ("planned", "submitted")]
    messages = session.exec(
        select(RaisedEscalation.message)
        .where(RaisedEscalation.trial_id == trial.id)
        .order_by(col(RaisedEscalation.id))
    ).all()
    return TrialStatus(
        slug=trial.slug,
        vendor=vendor,
        phase=trial.phase,
        engagement=trial.engagement,
        rungs_done=len(done),
        rungs_total=len(rungs),
        current_rung=open_rungs[0].rung_key if open_rungs else None,
        spent=timesheet_spend(session=session, rung_ids=[r.id for r in rungs]),
        cap=trial.budget_cap,
        currency=trial.currency,
        waiting_for=trial.waiting_for,
        waiting_since=trial.waiting_since,
        escalations=list(messages),
        advice=_advice(session, trial),
    )


def _advice(session: Session, trial: Trial) -> str | None:
    """The engine's advice at the gate where the trial waits for a person."""
    if trial.waiting_for not in WAITING_FOR_A_PERSON:
        return None
    gate = open_gate(session=session, slug=trial.slug)
    return gate.recommendation if gate else None
