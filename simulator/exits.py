"""Exit-time operations, where a hostile vendor is slow, incomplete and misleading."""

from __future__ import annotations

import math
from datetime import datetime

from simulator.errors import ProblemError
from simulator.state import World, found
from vendor.contract import AccessGrant, ExportStatus, KnowledgeDocument


def list_documents(world: World, trial: str, now: datetime) -> list[KnowledgeDocument]:
    """The trial's KT documents; a hostile vendor lists only half of them the first time."""
    record = world.trial(trial, now)
    record.document_listings += 1
    ids = record.document_ids
    if world.profile.hostile_exit and record.document_listings == 1:
        ids = ids[: math.ceil(len(ids) / 2)]
    return [world.documents[doc_id] for doc_id in ids]


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
