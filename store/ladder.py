"""The ladder in the store: open rungs, their progress, and what the gate needs to know."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel
from sqlmodel import Session, col, select

from adapters.contract import Invoice, Metric, TimesheetLine
from models.evidence import Evidence, Measured
from models.plan import Source
from models.tables import AuditEntry, CostEntry, Expectation, Measurement, PilotTask, utcnow
from store.measurements import readings


class RungView(BaseModel):
    """A rung as the ladder flow needs it."""

    id: int
    rung_key: str
    title: str
    position: int
    estimate: Decimal
    due_in_days: int
    status: str
    vendor_ref: str | None
    idempotency_key: str


class GateInputs(BaseModel):
    """What the rung gate weighs: latest measurements, rungs done, money spent and earned."""

    measured: dict[str, list[Measured]]  # every reading of each metric, oldest first
    rungs_done: list[str]
    spent: Decimal
    earned: Decimal


def open_rungs(*, session: Session, trial_id: int, engagement: int) -> list[RungView]:
    """The engagement's rungs not yet accepted or stopped, lowest first."""
    rows = session.exec(
        select(PilotTask)
        .where(
            PilotTask.trial_id == trial_id,
            PilotTask.engagement == engagement,
            col(PilotTask.status).not_in(["accepted", "stopped"]),
        )
        .order_by(col(PilotTask.position))
    )
    return [RungView.model_validate(row, from_attributes=True) for row in rows]


def set_rung_status(
    *,
    session: Session,
    rung_id: int,
    status: str,
    vendor_ref: str | None = None,
    at: datetime | None = None,
) -> None:
    """Move a rung along planned -> submitted -> delivered -> accepted | stopped.

    `at` is the vendor's time of the step, so schedule variance is measured on the
    vendor's clock (which the simulator runs fast).
    """
    rung = session.get_one(PilotTask, rung_id)
    rung.status = status
    if vendor_ref is not None:
        rung.vendor_ref = vendor_ref
        rung.submitted_at = rung.submitted_at or at or utcnow()
    if status == "delivered":
        rung.completed_at = rung.completed_at or at or utcnow()
        rung.recorded_at = rung.recorded_at or utcnow()
    session.add(rung)


def stop_rung(*, session: Session, rung_id: int, actor: str, reasons: list[str]) -> None:
    """Stop the ladder at this rung and record why."""
    rung = session.get_one(PilotTask, rung_id)
    rung.status = "stopped"
    session.add(rung)
    session.add(
        AuditEntry(
            trial_id=rung.trial_id,
            actor=actor,
            action="ladder_stopped",
            reason=f"at {rung.rung_key}: " + "; ".join(reasons),
        )
    )


def record_measurements(
    *,
    session: Session,
    trial_id: int,
    rung: RungView,
    engagement: int,
    metrics: list[Metric],
    vendor: str,
) -> int:
    """One measurement per expectation metric for this rung's work item; return how many new.

    Each is labelled vendor-reported (models.evidence), whatever source the expectation
    names: the expectation is scored on a value from its own source, and this one is kept
    beside it to compare.
    """
    expectations = {
        e.metric: e
        for e in session.exec(
            select(Expectation).where(
                Expectation.trial_id == trial_id, Expectation.engagement == engagement
            )
        )
    }
    added = 0
    for metric in metrics:
        expectation = expectations.get(metric.metric)
        key = f"{rung.idempotency_key}:metric:{metric.metric}"
        if (
            expectation is None
            or metric.work_item_id != rung.vendor_ref
            or _exists(session, Measurement, key)
        ):
            continue
        evidence = Evidence(
            source=Source.VENDOR_METRICS,
            produced_by=f"vendor {vendor}",
            at=metric.measured_at,
            rung=rung.rung_key,
            note=f"reported by the vendor's metrics endpoint: {metric.model_dump_json()}",
        )
        session.add(
            Measurement(
                trial_id=trial_id,
                expectation_id=expectation.id or 0,
                pilot_task_id=rung.id,
                value=metric.value,
                source=Source.VENDOR_METRICS,  # the vendor said it, whatever the expectation names
                produced_by=evidence.produced_by,
                evidence_json=evidence.model_dump_json(),
                idempotency_key=key,
                measured_at=metric.measured_at,
            )
        )
        added += 1
    return added


def record_costs(
    *,
    session: Session,
    trial_id: int,
    rung: RungView,
    lines: list[TimesheetLine],
    invoices: list[Invoice],
) -> Decimal:
    """The rung's timesheet lines and the invoices that bill them; return the rung's cost."""
    mine = [line for line in lines if line.work_item_id == rung.vendor_ref]
    for line in mine:
        key = f"{rung.idempotency_key}:timesheet:{line.id}"
        if not _exists(session, CostEntry, key):
            session.add(
                CostEntry(
                    trial_id=trial_id,
                    pilot_task_id=rung.id,
                    kind="timesheet",
                    role=line.role,
                    hours=line.hours,
                    rate=line.rate,
                    amount=line.amount,
                    currency=line.currency,
                    vendor_ref=line.id,
                    incurred_on=line.worked_on,
                    description=f"{line.role} on {rung.rung_key}",
                    idempotency_key=key,
                )
            )
    billed = {line.id for line in mine}
    for invoice in invoices:
        key = f"{rung.idempotency_key}:invoice:{invoice.id}"
        if billed & set(invoice.timesheet_line_ids) and not _exists(session, CostEntry, key):
            session.add(
                CostEntry(
                    trial_id=trial_id,
                    pilot_task_id=rung.id,
                    kind="invoice",
                    amount=invoice.amount,
                    currency=invoice.currency,
                    vendor_ref=invoice.id,
                    incurred_on=invoice.issued_at.date(),
                    description=f"invoice {invoice.number}",
                    idempotency_key=key,
                )
            )
    return sum((line.amount for line in mine), Decimal(0))


def gate_inputs(*, session: Session, trial_id: int, engagement: int) -> GateInputs:
    """Latest value per metric, rungs delivered, timesheet spend and the estimates earned."""
    rungs = session.exec(
        select(PilotTask).where(PilotTask.trial_id == trial_id, PilotTask.engagement == engagement)
    ).all()
    done = [r for r in rungs if r.status in ("delivered", "accepted")]
    ids = [r.id for r in rungs]
    return GateInputs(
        measured=readings(session=session, trial_id=trial_id, engagement=engagement),
        rungs_done=[r.rung_key for r in done],
        spent=timesheet_spend(session=session, rung_ids=ids),
        earned=sum((r.estimate for r in done), Decimal(0)),
    )


def timesheet_spend(*, session: Session, rung_ids: list[int | None]) -> Decimal:
    """What the vendor's timesheets booked on these rungs."""
    return sum(
        session.exec(
            select(col(CostEntry.amount)).where(
                CostEntry.kind == "timesheet", col(CostEntry.pilot_task_id).in_(rung_ids)
            )
        ).all(),
        Decimal(0),
    )


def _exists(session: Session, table: type[Measurement] | type[CostEntry], key: str) -> bool:
    return session.exec(select(table.id).where(table.idempotency_key == key)).first() is not None
