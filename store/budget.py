"""The budget in the store: an engagement's costs, the thresholds crossed, a raised cap."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from models.budget import BudgetFacts, CostLine, InvoiceLine, Threshold, rung_done
from models.cap import PHASE_AFTER_CAP, CapChoice, CapRequest, cap_request
from models.errors import StoreError
from models.money import money
from models.phases import Phase
from models.plan import Plan
from models.tables import AuditEntry, BudgetAlert, CostEntry, PilotTask, Trial, utcnow
from store.context import load_context
from store.decisions import find_decision
from store.engagements import engagement_budget
from store.ladder import gate_inputs, open_rungs, stop_rung
from store.phases import change_phase
from store.trials import get_trial, set_waiting_for


class AlertView(BaseModel):
    """A threshold crossing on record."""

    id: int
    key: str
    threshold: Decimal
    spent: Decimal
    currency: str
    message: str
    crossed_at: datetime


def budget_facts(*, session: Session, slug: str, engagement: int | None = None) -> BudgetFacts:
    """The trial's current engagement (or an earlier one, its budget as it stood when the
    next opened, a raised cap included: `store.engagements`): budget, rungs, timesheet
    lines, invoices, thresholds."""
    trial = get_trial(session=session, slug=slug)
    plan = Plan.model_validate_json(trial.plan_json)
    number = trial.engagement if engagement is None else engagement
    budget = engagement_budget(session=session, trial=trial, engagement=number)
    rungs = session.exec(
        select(PilotTask)
        .where(PilotTask.trial_id == trial.id, PilotTask.engagement == number)
        .order_by(col(PilotTask.position))
    ).all()
    keys = {r.id: r.rung_key for r in rungs}
    costs = session.exec(
        select(CostEntry)
        .where(col(CostEntry.pilot_task_id).in_(list(keys)))
        .order_by(col(CostEntry.id))
    ).all()
    alerts = session.exec(select(BudgetAlert).where(BudgetAlert.trial_id == trial.id)).all()
    return BudgetFacts(
        slug=trial.slug,
        engagement=number,
        currency=trial.currency,
        estimate=budget.estimate,
        cap=budget.cap,
        rate_card=plan.rate_card,
        rungs=[(r.rung_key, r.title, r.status, r.estimate) for r in rungs],
        done=[r.rung_key for r in rungs if rung_done(r.status, r.completed_at)],
        lines=[
            CostLine(
                vendor_ref=c.vendor_ref or f"cost-{c.id}",
                rung=keys[c.pilot_task_id],
                role=c.role or "",
                hours=c.hours or Decimal(0),
                rate=c.rate or Decimal(0),
                amount=c.amount,
            )
            for c in costs
            if c.kind == "timesheet" and c.pilot_task_id is not None
        ],
        invoices=[
            InvoiceLine(
                vendor_ref=c.vendor_ref or f"cost-{c.id}",
                description=c.description,
                rung=keys[c.pilot_task_id],
                amount=c.amount,
            )
            for c in costs
            if c.kind == "invoice" and c.pilot_task_id is not None
        ],
        crossed_at={a.key: a.crossed_at for a in alerts},
    )


def record_alerts(
    *, session: Session, trial_id: int, marks: list[Threshold], spent: Decimal, currency: str
) -> int:
    """Record each threshold crossed that is not on record yet; how many are new."""
    known = set(session.exec(select(BudgetAlert.key).where(BudgetAlert.trial_id == trial_id)).all())
    new = [mark for mark in marks if mark.key not in known]
    for mark in new:
        session.add(
            BudgetAlert(
                trial_id=trial_id,
                key=mark.key,
                threshold=mark.amount,
                spent=spent,
                currency=currency,
                message=f"spend {money(spent, currency)} {currency} reached {mark.label} "
                f"({money(mark.amount, currency)})",
            )
        )
    return len(new)


def unannounced_alerts(*, session: Session, trial_id: int) -> list[AlertView]:
    """The trial's threshold crossings not yet handed to Prefect as events, oldest first."""
    rows = session.exec(
        select(BudgetAlert)
        .where(BudgetAlert.trial_id == trial_id, col(BudgetAlert.emitted_at).is_(None))
        .order_by(col(BudgetAlert.id))
    )
    return [AlertView.model_validate(row, from_attributes=True) for row in rows]


def mark_alerts_announced(*, session: Session, ids: list[int]) -> None:
    """Note that these crossings' events were handed to Prefect."""
    session.execute(
        update(BudgetAlert)
        .where(col(BudgetAlert.id).in_(ids), col(BudgetAlert.emitted_at).is_(None))
        .values(emitted_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def raise_cap(*, session: Session, slug: str, new_cap: Decimal, actor: str, reason: str) -> bool:
    """Raise the current engagement's cap, with the reason in the audit log; False if done."""
    trial = get_trial(session=session, slug=slug)
    if trial.budget_cap >= new_cap:
        return False  # raised before (a rerun), or not a raise
    old = trial.budget_cap
    session.execute(
        update(Trial)
        .where(col(Trial.id) == trial.id)
        .values(budget_cap=new_cap, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    session.add(
        AuditEntry(
            trial_id=trial.id,
            actor=actor,
            action="cap_raised",
            reason=f"cap {money(old, trial.currency)} -> {money(new_cap, trial.currency)} "
            f"{trial.currency}: {reason}",
        )
    )
    session.expire(trial)
    return True


def apply_cap_decision(*, session: Session, slug: str, gate: str, rung_id: int, actor: str) -> str:
    """Do what the decision at the cap gate says, in one transaction; the choice.

    The trial stops waiting at the gate in the same transaction.

    Raise the cap (the ladder then climbs the rung), or stop the ladder at the rung and
    move the trial to evaluation (rescope) or to its exit.
    """
    trial = get_trial(session=session, slug=slug)
    assert trial.id is not None
    decision = find_decision(session=session, trial_id=trial.id, gate=gate)
    if decision is None:
        raise StoreError(f"Trial '{slug}' has no decision at {gate} to apply.")
    choice = CapChoice(decision.choice)
    why = f"{gate}: {choice} decided by {decision.decided_by}: {decision.reason}"
    set_waiting_for(session=session, slug=slug, what=None)
    if choice is CapChoice.RAISE_CAP:
        raise_cap(
            session=session,
            slug=slug,
            new_cap=(
                decision.value
                if decision.value is not None
                else Decimal(str(decision.evidence["new_cap"]))  # decided before 0008
            ),
            actor=actor,
            reason=why,
        )
        return choice
    if Phase(trial.phase) is Phase.PILOTING:
        facts = decision.evidence
        currency = str(facts["currency"])

        def show(key: str) -> str:
            return money(Decimal(str(facts[key])), currency)

        stop = (
            f"over the cap {show('cap')} {currency} ({show('spent')} spent, the rung forecast "
            f"at {show('forecast')}): {choice} decided by {decision.decided_by}"
        )
        stop_rung(session=session, rung_id=rung_id, actor=actor, reasons=[stop])
    change_phase(session=session, slug=slug, to=PHASE_AFTER_CAP[choice], actor=actor, reason=why)
    return choice


def cap_stop(*, session: Session, slug: str) -> CapRequest | None:
    """The cap gate the trial's ladder stopped at, worked out again from the store.

    The next open rung, not sent yet, whose forecast cost the cap leaves no room for.
    """
    trial = load_context(session=session, slug=slug)
    rungs = open_rungs(session=session, trial_id=trial.trial_id, engagement=trial.engagement)
    if not rungs or rungs[0].vendor_ref:
        return None
    spend = gate_inputs(session=session, trial_id=trial.trial_id, engagement=trial.engagement)
    return cap_request(trial, rungs[0].rung_key, rungs[0].estimate, spend.spent, spend.earned)
