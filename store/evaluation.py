"""What an evaluation reads from the store: rungs, latest measurements, spend and overrides."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.budget import rung_done
from models.directives import Classification
from models.evaluation import EvaluationFacts, RungRecord
from models.override_index import Override
from models.phases import Phase
from models.plan import Plan
from models.tables import CostEntry, Directive, PilotTask
from store.engagements import engagement_budget
from store.measurements import readings
from store.trials import get_trial


def evaluation_facts(
    *, session: Session, slug: str, engagement: int | None = None
) -> EvaluationFacts:
    """The trial's current engagement (or an earlier one: a bake-off's shared ladder after
    the expansion) as stored, ready to be evaluated."""
    trial = get_trial(session=session, slug=slug)
    assert trial.id is not None
    plan = Plan.model_validate_json(trial.plan_json)
    number = trial.engagement if engagement is None else engagement
    rungs = session.exec(
        select(PilotTask)
        .where(PilotTask.trial_id == trial.id, PilotTask.engagement == number)
        .order_by(col(PilotTask.position))
    ).all()
    return EvaluationFacts(
        slug=trial.slug,
        trial_id=trial.id,
        phase=Phase(trial.phase),
        engagement=number,
        currency=trial.currency,
        # an earlier engagement's cap as it stood when the next opened, a raise included
        cap=engagement_budget(session=session, trial=trial, engagement=number).cap,
        plan=plan,
        rungs=[
            RungRecord(
                key=r.rung_key,
                title=r.title,
                position=r.position,
                hours=r.hours,
                estimate=r.estimate,
                due_in_days=r.due_in_days,
                status=r.status,
                submitted_at=r.submitted_at,
                completed_at=r.completed_at,
                recorded_at=r.recorded_at,
            )
            for r in rungs
        ],
        measured=readings(session=session, trial_id=trial.id, engagement=number),
        actual=timesheet_total(session=session, rung_ids=[r.id for r in rungs if r.id is not None]),
        overrides=overrides(session=session, trial_id=trial.id, engagement=number),
        directives=directive_count(session=session, trial_id=trial.id, engagement=number),
    )


def timesheet_total(*, session: Session, rung_ids: list[int]) -> Decimal:
    """What the vendor's timesheets on these rungs amount to; invoices bill the same hours."""
    amounts = session.exec(
        select(col(CostEntry.amount)).where(
            CostEntry.kind == "timesheet", col(CostEntry.pilot_task_id).in_(rung_ids)
        )
    ).all()
    return sum(amounts, Decimal(0))


def done_spend(*, session: Session, trial_id: int, engagement: int) -> Decimal:
    """What the vendor's timesheets on the engagement's rungs done amount to (delivered or
    accepted: `models.budget.rung_done`); a rung in progress is not counted."""
    rungs = session.exec(
        select(PilotTask).where(PilotTask.trial_id == trial_id, PilotTask.engagement == engagement)
    ).all()
    done = [r.id for r in rungs if r.id is not None and rung_done(r.status, r.completed_at)]
    return timesheet_total(session=session, rung_ids=done)


def overrides(*, session: Session, trial_id: int, engagement: int) -> list[Override]:
    """The client's directives given in `engagement` that entered the vendor's areas and
    reached it, oldest first.

    One never forwarded (the vendor was unreachable, and nobody ran the command again)
    did not change how the vendor worked, so it does not count.
    """
    rows = session.exec(
        select(Directive)
        .where(
            Directive.trial_id == trial_id,
            Directive.engagement == engagement,
            Directive.classification == Classification.OVERRIDE,
            col(Directive.vendor_ref).is_not(None),
        )
        .order_by(col(Directive.issued_at), col(Directive.id))
    )
    return [
        Override(
            text=d.text,
            area=d.area,
            issued_by=d.issued_by,
            issued_at=d.issued_at,
            justification=d.justification,
            outcome=d.outcome,
        )
        for d in rows
    ]


def directive_count(*, session: Session, trial_id: int, engagement: int) -> int:
    """How many directives the client gave the vendor in `engagement`, overrides included."""
    return session.exec(
        select(func.count())
        .select_from(Directive)
        .where(
            Directive.trial_id == trial_id,
            Directive.engagement == engagement,
            col(Directive.vendor_ref).is_not(None),
        )
    ).one()
