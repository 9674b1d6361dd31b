"""What the monitor's round reads about every active trial, in a few queries whatever their
number, and when it carried trials on."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import case, func, update
from sqlmodel import Session, col, select

from models.acceptance import WAITING_FOR_REVIEW
from models.adapter_checks import POLLED
from models.context import VendorInfo, vendor_info
from models.gate_kinds import WAITING_FOR_A_PERSON
from models.monitor import OpenRung, Watch
from models.phases import TERMINAL, Phase
from models.plan import Plan
from models.tables import (
    CostEntry,
    PilotTask,
    RaisedEscalation,
    Trial,
    Vendor,
    VendorEffect,
    WebhookEvent,
)

ACTIVE = col(Trial.phase).not_in([Phase.DRAFT, *TERMINAL])


def active_watches(*, session: Session) -> list[Watch]:
    """Every trial that has started and not finished, as the monitor's rules need it."""
    # The plan is read only where a rule needs it: for a trial waiting for a person.
    plan = case((col(Trial.waiting_for).in_(WAITING_FOR_A_PERSON), Trial.plan_json), else_=None)
    # ... and for a vendor that sends no webhooks, to know how to ask it what changed.
    polled = case((col(Vendor.adapter).in_(POLLED), Trial.plan_json), else_=None)
    trials = session.execute(
        sa.select(col(Trial.id), col(Trial.slug), col(Vendor.name), col(Trial.phase))
        .add_columns(col(Trial.engagement), col(Trial.waiting_for), col(Trial.waiting_since))
        .add_columns(col(Trial.carried_on_at), col(Trial.budget_cap), col(Trial.currency))
        .add_columns(plan.label("plan_json"), polled.label("polled_plan"), col(Vendor.base_url))
        .join(Vendor, col(Vendor.id) == Trial.vendor_id)
        .where(ACTIVE)
        .order_by(col(Trial.slug))
    ).all()
    rungs, heard = _open_rungs(session), _last_heard(session)
    raised, spent = _raised(session), _spent(session)
    watches = []
    for row in trials:
        review_within, remind_after = _windows(row.waiting_for, row.plan_json)
        watches.append(
            Watch(
                slug=row.slug,
                trial_id=row.id,
                vendor=row.name,
                phase=Phase(row.phase),
                engagement=row.engagement,
                waiting_for=row.waiting_for,
                waiting_since=row.waiting_since,
                carried_on_at=row.carried_on_at,
                review_within=review_within,
                remind_after=remind_after,
                open_rungs=rungs[row.id],
                last_heard=heard.get(row.slug),
                spent=spent[row.id],
                cap=row.budget_cap,
                currency=row.currency,
                raised=raised[row.id],
                polled=_polled(row.name, row.base_url, row.polled_plan),
            )
        )
    return watches


def _polled(vendor: str, base_url: str, plan_json: str | None) -> VendorInfo | None:
    """How to ask a vendor without webhooks what changed; None for one that sends them."""
    if plan_json is None:
        return None
    return vendor_info(vendor, base_url, Plan.model_validate_json(plan_json))


def carry_on_state(*, session: Session, slug: str) -> tuple[Phase, str | None] | None:
    """The trial's phase and what it waits for, or None when the store has no such trial."""
    row = session.exec(select(Trial.phase, Trial.waiting_for).where(Trial.slug == slug)).first()
    return None if row is None else (Phase(row[0]), row[1])


def mark_carried_on(*, session: Session, slugs: list[str], at: datetime) -> None:
    """Record that the monitor started a run for these trials at `at`."""
    if slugs:
        session.execute(
            update(Trial)
            .where(col(Trial.slug).in_(slugs))
            .values(carried_on_at=at)
            .execution_options(synchronize_session=False)
        )


def _open_rungs(session: Session) -> defaultdict[int, list[OpenRung]]:
    """Each active trial's rungs sent to the vendor and not delivered yet."""
    found: defaultdict[int, list[OpenRung]] = defaultdict(list)
    rows = session.exec(
        select(PilotTask, VendorEffect.completed_at)
        .join(VendorEffect, col(VendorEffect.key) == PilotTask.idempotency_key)
        .join(Trial, col(Trial.id) == PilotTask.trial_id)
        .where(ACTIVE, PilotTask.engagement == Trial.engagement, PilotTask.status == "submitted")
    ).all()
    for rung, sent in rows:
        if rung.submitted_at is not None and sent is not None:
            found[rung.trial_id].append(
                OpenRung(
                    key=rung.rung_key,
                    submitted_at=rung.submitted_at,
                    sent_at=sent,
                    due_in_days=rung.due_in_days,
                )
            )
    return found


def _last_heard(session: Session) -> dict[str, datetime]:
    """The latest webhook received about each active trial, by trial id."""
    rows = session.exec(
        select(WebhookEvent.trial, func.max(WebhookEvent.received_at))
        .join(Trial, col(Trial.slug) == WebhookEvent.trial)
        .where(ACTIVE)
        .group_by(col(WebhookEvent.trial))
    ).all()
    return dict(rows)


def _raised(session: Session) -> defaultdict[int, set[str]]:
    """The keys of the escalations raised before, for each active trial."""
    found: defaultdict[int, set[str]] = defaultdict(set)
    rows = session.exec(
        select(RaisedEscalation.trial_id, RaisedEscalation.key)
        .join(Trial, col(Trial.id) == RaisedEscalation.trial_id)
        .where(ACTIVE)
    ).all()
    for trial_id, key in rows:
        found[trial_id].add(key)
    return found


def _spent(session: Session) -> defaultdict[int, Decimal]:
    """What the vendor's timesheets booked on each active trial's current engagement."""
    # Summed here, not in SQL: SQLite's SUM would go through a float.
    found: defaultdict[int, Decimal] = defaultdict(Decimal)
    rows = session.execute(
        sa.select(col(CostEntry.trial_id), col(CostEntry.amount))
        .join(PilotTask, col(PilotTask.id) == CostEntry.pilot_task_id)
        .join(Trial, col(Trial.id) == CostEntry.trial_id)
        .where(ACTIVE, col(CostEntry.kind) == "timesheet")
        .where(col(PilotTask.engagement) == col(Trial.engagement))
    ).all()
    for trial_id, amount in rows:
        found[trial_id] += amount
    return found


def _windows(
    waiting_for: str | None, plan_json: str | None
) -> tuple[timedelta | None, timedelta | None]:
    """The plan's review window (for a trial waiting for a client review) and reminder
    interval (for one waiting for a person at any gate); None where they do not apply."""
    if plan_json is None:
        return None, None
    plan = Plan.model_validate_json(plan_json)
    review = timedelta(days=plan.gates.review_within_days)
    remind = timedelta(hours=plan.notify.remind_after_hours) if plan.notify else None
    return (review if waiting_for == WAITING_FOR_REVIEW else None), remind
