"""DB and disk tasks of the pilot ladder: each one short step, safe to repeat; the two that
record what the vendor delivered read it from the vendor first."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from hashlib import sha256
from pathlib import Path, PurePosixPath

from prefect import task
from prefect.cache_policies import NO_CACHE

from adapters.contract import Deliverable, WorkItem
from config import get_settings
from models.context import TrialContext
from models.exit_rules import ArchivedFile
from store.db import read_session, write_session
from store.effects import record_outcome
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
from store.trials import set_waiting_for
from tasks.connection import vendor_api
from tasks.vendor import vendor_call


async def rungs_to_climb(trial: TrialContext) -> list[RungView]:
    """The current engagement's rungs not yet accepted or stopped, lowest first."""
    with read_session() as session:
        return open_rungs(session=session, trial_id=trial.trial_id, engagement=trial.engagement)


@task(cache_policy=NO_CACHE)
async def mark_rung(
    rung: RungView, status: str, vendor_ref: str | None = None, at: datetime | None = None
) -> None:
    """Record the rung's progress (submitted, delivered, accepted), at the vendor's time."""
    with write_session() as session:
        set_rung_status(
            session=session, rung_id=rung.id, status=status, vendor_ref=vendor_ref, at=at
        )


@task(cache_policy=NO_CACHE)
async def stop_ladder(rung: RungView, reasons: list[str]) -> None:
    """Stop the ladder at this rung, with the reasons in the audit log."""
    with write_session() as session:
        stop_rung(session=session, rung_id=rung.id, actor=get_settings().actor, reasons=reasons)


@vendor_call
async def archive_deliverables(trial: TrialContext, rung: RungView, item_id: str) -> list[str]:
    """Fetch the files the vendor delivered for the work item, each checked against its
    sha256, and keep each on disk and record it (name, size, sha256); their paths.

    One task for the rung's files, retried whole while the vendor is unavailable: a file
    kept before is written and recorded again, the same.
    """
    api = await vendor_api(trial.vendor)
    return [
        _archive(trial, rung, deliverable, await api.download_deliverable(deliverable))
        for deliverable in await api.deliverables(item_id)
    ]


def _archive(trial: TrialContext, rung: RungView, deliverable: Deliverable, content: bytes) -> str:
    """Keep the delivered file on disk and record it (name, size, sha256); return its path."""
    # A folder per rung: vendors reuse names (report.pdf at every rung), and each stays as
    # archived, so its checksum still holds when a later rung's files are measured with it.
    name = Path(deliverable.name).name
    relative = PurePosixPath("archive", trial.slug, "deliverables", rung.rung_key, name)
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
async def record_submission(rung: RungView, key: str, item: WorkItem) -> None:
    """Record the vendor's work item against the rung's intent, and the rung as submitted."""
    with write_session() as session:
        record_outcome(
            session=session, key=key, vendor_ref=item.id, response_json=item.model_dump_json()
        )
        set_rung_status(
            session=session,
            rung_id=rung.id,
            status="submitted",
            vendor_ref=item.id,
            at=item.created_at,
        )


@vendor_call
async def record_delivery(trial: TrialContext, rung: RungView, item: WorkItem) -> Decimal:
    """Read the vendor's measurements, timesheets and invoices for the trial, then record
    the rung's, once each, and the rung as delivered; the rung's cost.

    The reads are retried while the vendor is unavailable; the record is one transaction,
    so a rung is delivered in the store only with its figures beside it.
    """
    api = await vendor_api(trial.vendor)
    metrics = await api.metrics(trial.slug)
    lines, invoices = await api.timesheets(trial.slug), await api.invoices(trial.slug)
    with write_session() as session:
        record_measurements(
            session=session,
            trial_id=trial.trial_id,
            rung=rung,
            engagement=trial.engagement,
            metrics=metrics,
            vendor=trial.plan.vendor.name,
        )
        cost = record_costs(
            session=session, trial_id=trial.trial_id, rung=rung, lines=lines, invoices=invoices
        )
        set_rung_status(session=session, rung_id=rung.id, status="delivered", at=item.delivered_at)
        set_waiting_for(session=session, slug=trial.slug, what=None)
        return cost


async def read_gate_inputs(trial: TrialContext) -> GateInputs:
    """What the rung gate weighs, as stored."""
    with read_session() as session:
        return gate_inputs(session=session, trial_id=trial.trial_id, engagement=trial.engagement)
