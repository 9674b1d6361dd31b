"""The exit's tasks: its vendor calls (retried while the vendor is unavailable), its store
writes (each one short, idempotent transaction), the archive, the event and the report."""

from __future__ import annotations

import hashlib
from pathlib import PurePosixPath

from prefect import task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from adapters.contract import (
    AccessGrant,
    DataExport,
    ExportRequest,
    KnowledgeDocument,
)
from config import get_settings
from models.context import VendorInfo
from models.exit_rules import (
    DATA_EXPORT,
    KT_DOCUMENT,
    ArchivedFile,
    ExitReport,
    StepLine,
    StepStatus,
    archive_name,
    report_markdown,
)
from store.db import read_session, write_session
from store.effects import find_effect
from store.exits import archived_files, exit_steps, set_step
from store.exits import exit_report as stored_report
from store.files import record_file, write_verified
from tasks.connection import vendor_api
from tasks.reporting import announce
from tasks.vendor import vendor_call

# Where an archived kind is kept, under data_dir/archive/<trial>/.
FOLDERS = {"kt_document": "kt", "data_export": "data"}


@vendor_call
async def kt_documents(vendor: VendorInfo, trial: str) -> list[KnowledgeDocument]:
    """List the trial's knowledge-transfer documents."""
    return await (await vendor_api(vendor)).kt_documents(trial)


@vendor_call
async def archive_kt_document(
    trial_id: int, slug: str, vendor: VendorInfo, document: KnowledgeDocument
) -> ArchivedFile:
    """Download a knowledge-transfer document, checked against its sha256, and archive it."""
    content = await (await vendor_api(vendor)).download_kt_document(document)
    name = archive_name(document.id, document.title)
    return archive_file(trial_id, slug, KT_DOCUMENT, document.id, name, content)


@vendor_call
async def request_export(
    vendor: VendorInfo, trial: str, request: ExportRequest, key: str
) -> DataExport:
    """Ask for the trial's data back, under the step's idempotency key."""
    return await (await vendor_api(vendor)).request_export(trial, request, key)


@vendor_call
async def read_export(vendor: VendorInfo, export_id: str) -> DataExport:
    """Read a data export's state."""
    return await (await vendor_api(vendor)).export(export_id)


@vendor_call
async def archive_export(
    trial_id: int, slug: str, vendor: VendorInfo, export: DataExport
) -> ArchivedFile:
    """Download a ready export, checked against its sha256 (a truncated copy is fetched
    again), and archive it."""
    content = await (await vendor_api(vendor)).download_export(export)
    name = archive_name(export.id, suffix=".zip")
    return archive_file(trial_id, slug, DATA_EXPORT, export.id, name, content)


@vendor_call
async def revoke_grant(vendor: VendorInfo, grant_id: str, key: str) -> AccessGrant:
    """Ask the vendor to revoke one access grant, under the grant step's idempotency key."""
    return await (await vendor_api(vendor)).revoke_grant(grant_id, key)


async def load_exit_steps(trial_id: int) -> list[StepLine]:
    """Read the trial's exit steps, the plan's first, then one per access grant."""
    with read_session() as session:
        return exit_steps(session=session, trial_id=trial_id)


@task(cache_policy=NO_CACHE)
async def mark_step(key: str, status: StepStatus, detail: str) -> None:
    """Record where an exit step stands; done is final."""
    with write_session() as session:
        set_step(session=session, key=key, status=status, detail=detail)


async def recorded_ref(key: str) -> str | None:
    """The vendor's id for the effect with `key`, if its outcome was recorded."""
    with read_session() as session:
        effect = find_effect(session=session, key=key)
        return effect.vendor_ref if effect is not None and effect.status == "done" else None


async def load_archived(trial_id: int, kind: str) -> list[ArchivedFile]:
    """The files of one kind archived for the trial so far."""
    with read_session() as session:
        return archived_files(session=session, trial_id=trial_id, kinds=[kind])


def archive_file(
    trial_id: int, slug: str, kind: str, vendor_ref: str, name: str, content: bytes
) -> ArchivedFile:
    """Write the file under the data directory, check it on disk, and upsert its row."""
    relative = PurePosixPath("archive", slug, FOLDERS[kind], name)
    sha256 = hashlib.sha256(content).hexdigest()
    write_verified(get_settings().data_dir / relative, content, sha256)
    file = ArchivedFile(
        kind=kind,
        vendor_ref=vendor_ref,
        name=name,
        size=len(content),
        sha256=sha256,
        path=str(relative),
    )
    with write_session() as session:
        record_file(session=session, trial_id=trial_id, file=file)
    return file


async def load_exit_report(slug: str) -> ExitReport:
    """The exit as the store records it."""
    with read_session() as session:
        return stored_report(session=session, slug=slug)


async def publish_report(report: ExitReport) -> None:
    """Show the exit report in the Prefect UI as a markdown artifact."""
    await acreate_markdown_artifact(
        markdown=report_markdown(report),
        key=f"exit-report-{report.trial}",
        description=f"Exit of {report.trial}",
    )


def announce_step(slug: str, step: StepLine, detail: str) -> None:
    """Emit `trials.exit.step.completed` for a step just recorded as done."""
    announce(
        "trials.exit.step.completed",
        slug,
        {"step": step.kind, "target": step.target, "key": step.key, "detail": detail},
    )
