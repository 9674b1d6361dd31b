"""DB and disk tasks of the pilot ladder: each one short step, safe to repeat."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from hashlib import sha256
from pathlib import Path, PurePosixPath

from prefect import task
from prefect.cache_policies import NO_CACHE

from config import get_settings
from models.context import TrialContext
from models.exit_rules import ArchivedFile
from store.db import read_session, write_session
from store.files import record_file, write_verified
from store.ladder import (
    GateInputs,
    RungView,
    gate_inputs,
    open_rungs,
    record_costs,
    record_measurements,
    set_rung_status,
    stop_rung,
)
from vendor.contract import Deliverable, Invoice, Metric, TimesheetLine


@task(cache_policy=NO_CACHE)
def rungs_to_climb(trial: TrialContext) -> list[RungView]:
    """The current engagement's rungs not yet accepted or stopped, lowest first."""
    with read_session() as session:
        return open_rungs(session=session, trial_id=trial.trial_id, engagement=trial.engagement)


@task(cache_policy=NO_CACHE)
def mark_rung(
    rung: RungView, status: str, vendor_ref: str | None = None, at: datetime | None = None
) -> None:
    """Record the rung's progress (submitted, delivered, accepted), at the vendor's time."""
    with write_session() as session:
        set_rung_status(
            session=session, rung_id=rung.id, status=status, vendor_ref=vendor_ref, at=at
        )


@task(cache_policy=NO_CACHE)
def stop_ladder(rung: RungView, reasons: list[str]) -> None:
    """Stop the ladder at this rung, with the reasons in the audit log."""
    with write_session() as session:
        stop_rung(session=session, rung_id=rung.id, actor=get_settings().actor, reasons=reasons)


@task(cache_policy=NO_CACHE)
def archive_deliverable(
    trial: TrialContext, rung: RungView, deliverable: Deliverable, content: bytes
) -> str:
    """Keep the delivered file on disk and record it (name, size, sha256); return its path."""
    relative = PurePosixPath("archive", trial.slug, "deliverables", Path(deliverable.name).name)
    digest = sha256(content).hexdigest()
    write_verified(get_settings().data_dir / relative, content, digest)
    file = ArchivedFile(
        kind="deliverable",
        vendor_ref=deliverable.id,
        name=deliverable.name,
        size=len(content),
        sha256=digest,
        path=str(relative),
    )
    with write_session() as session:
        record_file(session=session, trial_id=trial.trial_id, file=file, pilot_task_id=rung.id)
    return str(relative)


@task(cache_policy=NO_CACHE)
def save_measurements(trial: TrialContext, rung: RungView, metrics: list[Metric]) -> int:
    """Record the rung's measurements, once each."""
    with write_session() as session:
        return record_measurements(
            session=session,
            trial_id=trial.trial_id,
            rung=rung,
            engagement=trial.engagement,
            metrics=metrics,
        )


@task(cache_policy=NO_CACHE)
def save_costs(
    trial: TrialContext, rung: RungView, lines: list[TimesheetLine], invoices: list[Invoice]
) -> Decimal:
    """Record the rung's timesheet lines and invoices, once each; return the rung's cost."""
    with write_session() as session:
        return record_costs(
            session=session, trial_id=trial.trial_id, rung=rung, lines=lines, invoices=invoices
        )


@task(cache_policy=NO_CACHE)
def read_gate_inputs(trial: TrialContext) -> GateInputs:
    """What the rung gate weighs, as stored."""
    with read_session() as session:
        return gate_inputs(session=session, trial_id=trial.trial_id, engagement=trial.engagement)
