"""Deliverables measurements in the store: the files archived so far, each expectation's
value with its files as evidence, or the reasons it has none in the audit log."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from models.deliverables import DeliveredFile, Outcome
from models.evidence import Evidence
from models.plan import Source
from models.tables import AuditEntry, Expectation, Measurement, PilotTask, StoredFile

PRODUCED_BY = "the archive"
PROBLEM = "measurement_problem"  # the audit action of a value that could not be computed


def measurement_key(rung: str, expectation: str) -> str:
    """The idempotency key of an expectation's deliverables value at a rung (its own key)."""
    return f"{rung}:deliverables:{expectation}"


def problem_prefix(expectation: str, rung: str) -> str:
    """How the audit reason of a problem with an expectation at a rung starts."""
    return f"expectation '{expectation}' at {rung} is not measured: "


def archived_so_far(
    *, session: Session, trial_id: int, engagement: int, position: int
) -> list[DeliveredFile]:
    """The engagement's deliverables archived for rungs up to `position`, oldest first."""
    rows = session.exec(
        select(StoredFile, PilotTask.rung_key)
        .join(PilotTask, col(PilotTask.id) == StoredFile.pilot_task_id)
        .where(
            StoredFile.trial_id == trial_id,
            StoredFile.kind == "deliverable",
            PilotTask.engagement == engagement,
            PilotTask.position <= position,
        )
        .order_by(col(PilotTask.position), col(StoredFile.id))
    ).all()
    return [
        DeliveredFile(name=f.name, sha256=f.sha256, size=f.size, path=f.path, rung=rung)
        for f, rung in rows
    ]


def record_outcome(
    *,
    session: Session,
    trial_id: int,
    engagement: int,
    rung_id: int,
    key: str,
    outcome: Outcome,
    at: datetime,
    actor: str,
) -> bool:
    """Record the value as a measurement once per key, or each problem once in the audit
    log; return True when a value was recorded now."""
    if session.exec(select(Measurement.id).where(Measurement.idempotency_key == key)).first():
        return False
    rung = session.get_one(PilotTask, rung_id)
    if outcome.value is None:
        for problem in outcome.problems:
            note_problem(
                session,
                trial_id,
                actor,
                problem_prefix(outcome.expectation, rung.rung_key) + f"{outcome.rule}: {problem}",
            )
        return False
    expectation = session.exec(
        select(Expectation).where(
            Expectation.trial_id == trial_id,
            Expectation.engagement == engagement,
            Expectation.key == outcome.expectation,
        )
    ).one()
    evidence = Evidence(
        source=Source.DELIVERABLES,
        produced_by=PRODUCED_BY,
        at=at,
        rung=rung.rung_key,
        note=outcome.note,
        files=outcome.files,
    )
    session.add(
        Measurement(
            trial_id=trial_id,
            expectation_id=expectation.id or 0,
            pilot_task_id=rung_id,
            value=outcome.value,
            source=Source.DELIVERABLES,
            produced_by=PRODUCED_BY,
            evidence_json=evidence.model_dump_json(),
            idempotency_key=key,
            measured_at=at,
        )
    )
    return True


def note_problem(session: Session, trial_id: int, actor: str, reason: str) -> None:
    """One audit entry per problem: a rerun of the rung does not repeat it."""
    seen = session.exec(
        select(AuditEntry.id).where(
            AuditEntry.trial_id == trial_id,
            AuditEntry.action == PROBLEM,
            AuditEntry.reason == reason,
        )
    ).first()
    if seen is None:
        session.add(AuditEntry(trial_id=trial_id, actor=actor, action=PROBLEM, reason=reason))


def unmeasured_reasons(*, session: Session, trial_id: int, engagement: int) -> dict[str, list[str]]:
    """Why each deliverables expectation has no value at the latest rung that computed it.

    An expectation measured at its latest rung has none; one whose latest rung recorded
    problems has them, as the audit log words them ("expectation 'runbooks' at rung-3 is
    not measured: pages of runbooks/*.md: ...").
    """
    keys = session.exec(
        select(Expectation.key).where(
            Expectation.trial_id == trial_id,
            Expectation.engagement == engagement,
            Expectation.source == Source.DELIVERABLES,
        )
    ).all()
    rungs = session.exec(
        select(PilotTask)
        .where(PilotTask.trial_id == trial_id, PilotTask.engagement == engagement)
        .order_by(col(PilotTask.position).desc())
    ).all()
    problems = session.exec(
        select(AuditEntry.reason)
        .where(AuditEntry.trial_id == trial_id, AuditEntry.action == PROBLEM)
        .order_by(col(AuditEntry.id))
    ).all()
    measured = set(
        session.exec(
            select(Measurement.idempotency_key).where(
                Measurement.trial_id == trial_id, Measurement.source == Source.DELIVERABLES
            )
        ).all()
    )
    reasons: dict[str, list[str]] = {}
    for key in keys:
        for rung in rungs:
            if measurement_key(rung.idempotency_key, key) in measured:
                break
            found = [r for r in problems if r.startswith(problem_prefix(key, rung.rung_key))]
            if found:
                reasons[key] = found
                break
    return reasons
