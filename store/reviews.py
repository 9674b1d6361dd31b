"""Client reviews: the values a person on the client side records, and the acceptance gate
a delivered rung waits at until they are in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from models.acceptance import AcceptanceRequest, ReviewDue, parse_review_value, reviews_due
from models.budget import rung_done
from models.context import TrialContext
from models.errors import TrialsError
from models.evidence import Evidence, Measured
from models.plan import Expectation, Source
from models.tables import AuditEntry, Measurement, PilotTask, utcnow
from models.tables import Expectation as StoredExpectation
from store.context import load_context
from store.measurements import readings


def acceptance_request(
    *, session: Session, trial: TrialContext, rung: str, today: date
) -> AcceptanceRequest:
    """What the acceptance gate of `rung` needs: the reviews due there and those recorded."""
    rungs = _rungs(session, trial)
    ladder = [r.rung_key for r in rungs]
    due = reviews_due(trial.expectations, ladder, rung, today)
    task = next((r for r in rungs if r.rung_key == rung), None)
    reviewed = _reviewed(session, trial, task.id if task else None)
    reviewers = _reviewers(session, task.id if task else None)
    said = readings(session=session, trial_id=trial.trial_id, engagement=trial.engagement)
    return AcceptanceRequest(
        slug=trial.slug,
        trial_id=trial.trial_id,
        engagement=trial.engagement,
        rung=rung,
        due=[_due(e, said) for e in due],
        reviewed={k: v for k, v in reviewed.items() if k in {e.id for e in due}},
        reviewers=reviewers,
    )


def acceptance_stop(*, session: Session, slug: str, today: date) -> AcceptanceRequest | None:
    """The acceptance gate the trial waits at: its delivered, not yet accepted rung whose
    due client reviews are not all in; None if there is none."""
    trial = load_context(session=session, slug=slug)
    for task in _rungs(session, trial):
        if task.status == "delivered":
            request = acceptance_request(
                session=session, trial=trial, rung=task.rung_key, today=today
            )
            return request if request.missing else None
    return None


def record_review(
    *,
    session: Session,
    slug: str,
    expectation: str,
    value: str,
    by: str,
    note: str = "",
    rung: str | None = None,
    correcting: str | None = None,
    stand_in: bool = False,
) -> tuple[Measurement, str]:
    """Record a person's review of an expectation at a delivered rung; the value and what
    happened ("recorded", or "corrected" with `correcting` as the reason).

    Refused (TrialsError) for an expectation the plan does not source from client review,
    a value that is not in its unit or scale, a rung not delivered yet, and a second review
    of the same rung and expectation unless `correcting` says why (then both stay in the
    audit log, and the later value counts). `rung` defaults to the rung the trial waits at
    for reviews, or else its latest delivered rung. A `stand_in` is the vendor's own value
    recorded by policy where no person reviewed (models.evidence), labelled so.
    """
    trial = load_context(session=session, slug=slug)
    planned = _expectation(trial, expectation)
    number = parse_review_value(value, planned)
    task = _rung_to_review(session, trial, rung)
    stored = session.exec(
        select(StoredExpectation).where(
            StoredExpectation.trial_id == trial.trial_id,
            StoredExpectation.engagement == trial.engagement,
            StoredExpectation.key == planned.id,
        )
    ).one()
    earlier = _reviewed(session, trial, task.id).get(planned.id)
    if earlier is not None and not correcting:
        raise TrialsError(
            f"'{planned.id}' of {slug} was reviewed at {task.rung_key} already ({earlier} "
            f"{planned.unit}). To correct it, review again with --correct REASON: both "
            "values stay in the audit log, and the new one counts."
        )
    count = _review_count(session, task.id or 0, stored.id or 0)
    evidence = Evidence(
        source=Source.CLIENT_REVIEW,
        produced_by=by,
        at=utcnow(),
        rung=task.rung_key,
        note=note,
        stand_in=stand_in,
    )
    row = Measurement(
        trial_id=trial.trial_id,
        expectation_id=stored.id or 0,
        pilot_task_id=task.id,
        value=number,
        source=Source.CLIENT_REVIEW,
        produced_by=by,
        evidence_json=evidence.model_dump_json(),
        idempotency_key=f"{task.idempotency_key}:review:{planned.id}:{count + 1}",
        measured_at=evidence.at,
    )
    session.add(row)
    what = "corrected" if earlier is not None else "recorded"
    reason = f"{planned.id} at {task.rung_key}: {number} {planned.unit} by {by}"
    if earlier is not None:
        reason += f", was {earlier}: {correcting}"
    if note:
        reason += f" ({note})"
    session.add(
        AuditEntry(trial_id=trial.trial_id, actor=by, action=f"review_{what}", reason=reason)
    )
    return row, what


def reviewed_at(*, session: Session, slug: str, rung: str) -> set[str]:
    """The expectations reviewed at the trial's rung, by id."""
    trial = load_context(session=session, slug=slug)
    task = next((r for r in _rungs(session, trial) if r.rung_key == rung), None)
    return set(_reviewed(session, trial, task.id if task else None))


def _rungs(session: Session, trial: TrialContext) -> list[PilotTask]:
    return list(
        session.exec(
            select(PilotTask)
            .where(PilotTask.trial_id == trial.trial_id, PilotTask.engagement == trial.engagement)
            .order_by(col(PilotTask.position))
        )
    )


def _reviewed(session: Session, trial: TrialContext, rung_id: int | None) -> dict[str, Decimal]:
    """The latest reviewed value of each expectation at the rung, by expectation id."""
    if rung_id is None:
        return {}
    rows = session.exec(
        select(col(StoredExpectation.key), col(Measurement.value))
        .join(StoredExpectation, col(StoredExpectation.id) == col(Measurement.expectation_id))
        .where(
            Measurement.pilot_task_id == rung_id,
            Measurement.source == Source.CLIENT_REVIEW,
        )
        .order_by(col(Measurement.measured_at), col(Measurement.id))
    ).all()
    return dict(rows)


def _reviewers(session: Session, rung_id: int | None) -> list[str]:
    """Who reviewed at the rung, each once, in the order they first did."""
    if rung_id is None:
        return []
    names = session.exec(
        select(Measurement.produced_by)
        .where(Measurement.pilot_task_id == rung_id, Measurement.source == Source.CLIENT_REVIEW)
        .order_by(col(Measurement.id))
    ).all()
    return list(dict.fromkeys(names))


def _review_count(session: Session, rung_id: int, expectation_id: int) -> int:
    return len(
        session.exec(
            select(Measurement.id).where(
                Measurement.pilot_task_id == rung_id,
                Measurement.expectation_id == expectation_id,
                Measurement.source == Source.CLIENT_REVIEW,
            )
        ).all()
    )


def _due(expectation: Expectation, said: dict[str, list[Measured]]) -> ReviewDue:
    vendor = [m for m in said.get(expectation.metric, []) if not m.evidence.independent]
    return ReviewDue(
        id=expectation.id,
        metric=expectation.metric,
        description=expectation.description,
        comparator=expectation.comparator,
        target=expectation.target,
        unit=expectation.unit,
        vendor_reported=vendor[-1].value if vendor else None,
    )


def _expectation(trial: TrialContext, expectation: str) -> Expectation:
    found = next((e for e in trial.expectations if e.id == expectation), None)
    if found is None:
        ids = ", ".join(e.id for e in trial.expectations)
        raise TrialsError(
            f"Trial '{trial.slug}' has no expectation '{expectation}' in engagement "
            f"{trial.engagement}. Its expectations: {ids}."
        )
    if found.source is not Source.CLIENT_REVIEW:
        reviewed = [e.id for e in trial.expectations if e.source is Source.CLIENT_REVIEW]
        raise TrialsError(
            f"'{expectation}' is measured from {found.source}, not by client review, so "
            "nobody reviews it. "
            + (
                f"Review one of: {', '.join(reviewed)}."
                if reviewed
                else "This trial's plan has no client-review expectation."
            )
        )
    return found


def _rung_to_review(session: Session, trial: TrialContext, rung: str | None) -> PilotTask:
    rungs = _rungs(session, trial)
    if rung is None:
        delivered = [r for r in rungs if rung_done(r.status, r.completed_at)]
        waiting = [r for r in delivered if r.status == "delivered"]
        if not delivered:
            raise TrialsError(
                f"Trial '{trial.slug}' has no delivered rung to review yet: a review is of "
                "work the vendor delivered. `trials show` lists the rungs."
            )
        return waiting[0] if waiting else delivered[-1]  # the one at its gate, or the latest
    task = next((r for r in rungs if r.rung_key == rung), None)
    if task is None:
        raise TrialsError(
            f"Trial '{trial.slug}' has no rung '{rung}' in engagement {trial.engagement}. "
            f"Its rungs: {', '.join(r.rung_key for r in rungs)}."
        )
    if not rung_done(task.status, task.completed_at):
        raise TrialsError(
            f"{rung} of {trial.slug} is {task.status}, not delivered: review it once the "
            "vendor delivers it."
        )
    return task
