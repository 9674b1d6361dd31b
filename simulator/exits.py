"""Exit-time operations, where a hostile vendor is slow, incomplete and misleading."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from adapters.contract import (
    AccessGrant,
    ExportCheck,
    ExportRequest,
    ExportStatus,
    KnowledgeDocument,
)
from simulator.content import FORMATS
from simulator.errors import ProblemError
from simulator.state import World, found


def list_documents(world: World, trial: str, now: datetime) -> list[KnowledgeDocument]:
    """The trial's KT documents; a hostile vendor lists only half of them the first time."""
    record = world.trial(trial, now)
    record.document_listings += 1
    ids = record.document_ids
    if world.profile.hostile_exit and record.document_listings == 1:
        ids = ids[: math.ceil(len(ids) / 2)]
    return [world.documents[doc_id] for doc_id in ids]


def check_format(wanted: ExportRequest) -> None:
    """Refuse an export in a format the vendor does not produce."""
    if wanted.format not in FORMATS:
        raise ProblemError(422, f"Unknown format {wanted.format!r}; use one of {FORMATS}.")


def check_export(world: World, trial: str, wanted: ExportRequest, now: datetime) -> ExportCheck:
    """What an export request would do, with nothing prepared, created or recorded.

    A hostile vendor will not say: it prepares exports only once notice is served, which
    is exactly what a client rehearsing its exit needs to learn in time.
    """
    check_format(wanted)
    if world.profile.hostile_exit:
        raise ProblemError(
            409,
            f"{world.vendor} confirms no data export in advance: exports are prepared only "
            "after a termination notice is served.",
        )
    return ExportCheck(
        trial=trial,
        client_ref=wanted.client_ref,
        format=wanted.format,
        checked_at=now,
        ready_by=now + timedelta(days=world.profile.export_days),
    )


def export_content(world: World, export_id: str) -> bytes:
    """An export's bytes once ready; a hostile vendor truncates the first download."""
    record = found(world.exports, export_id, "export")
    if record.export.status != ExportStatus.READY:
        raise ProblemError(
            409, f"Export {export_id} is still {record.export.status.value}; poll it until ready."
        )
    record.downloads += 1
    if world.profile.hostile_exit and record.downloads == 1:
        return record.content[: len(record.content) // 2]
    return record.content


def revoke(world: World, grant_id: str, now: datetime) -> tuple[AccessGrant, bool]:
    """Revoke a grant: the answer, and whether the grant was revoked just now.

    Revoking is idempotent by nature, so repeating it never revokes twice. A hostile
    vendor answers the first call per grant as if revoked, but leaves the grant in place.
    """
    record = found(world.grants, grant_id, "access grant")
    record.revoke_calls += 1
    grant = record.grant
    if grant.revoked_at is not None:
        return grant, False
    if world.profile.hostile_exit and record.revoke_calls == 1:
        return grant.model_copy(update={"revoked_at": now}), False
    grant.revoked_at = now
    return grant, True
