"""The hand-over at exit: the access, data and knowledge the client takes back."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Response

from adapters.contract import (
    AccessGrant,
    DataExport,
    ExportCheck,
    ExportRequest,
    KnowledgeDocument,
    Page,
)
from simulator import examples, exits
from simulator.deps import IdempotencyKey, Now, SimDep, TrialName, mark_replayed
from simulator.errors import problem_responses
from simulator.ledger import EffectKind
from simulator.routes.common import BYTES, OctetStream, api_router, replay
from simulator.state import found

router = api_router("handover")


@router.get("/trials/{trial}/access-grants", response_model=Page[AccessGrant])
async def list_access_grants(trial: TrialName, sim: SimDep, now: Now) -> Page[AccessGrant]:
    """The access the vendor holds to the client's systems for a trial."""
    record = sim.world.trial(trial, now)
    return Page[AccessGrant](items=[sim.world.grants[i].grant for i in record.grant_ids])


@router.post(
    "/access-grants/{grant_id}/revoke",
    response_model=AccessGrant,
    responses=problem_responses(404),
)
async def revoke_access_grant(
    grant_id: str,
    sim: SimDep,
    now: Now,
    request: Request,
    response: Response,
    key: IdempotencyKey = None,
) -> AccessGrant:
    """Revoke a grant; repeating it is harmless, so every call revokes if still needed."""
    path = request.url.path
    earlier = sim.ledger.seen(key, "POST", path, None) if key is not None else None
    grant, revoked = exits.revoke(sim.world, grant_id, now)
    if earlier is not None:
        mark_replayed(response)
    elif key is not None:
        sim.ledger.remember(key, "POST", path, None, grant_id)
    if revoked:
        sim.ledger.count(EffectKind.REVOCATIONS, grant_id)
    return grant


@router.post(
    "/trials/{trial}/exports",
    status_code=202,
    response_model=DataExport,
    responses=replay(DataExport, "export"),
)
async def request_export(
    trial: TrialName,
    wanted: Annotated[ExportRequest, examples.EXPORT],
    sim: SimDep,
    now: Now,
    request: Request,
    response: Response,
    key: IdempotencyKey = None,
) -> DataExport:
    """Ask for the trial's data back; poll the export until it is ready."""
    exits.check_format(wanted)
    export_id, replayed = sim.ledger.once(
        key=key,
        request=("POST", request.url.path, wanted),
        kind=EffectKind.EXPORTS,
        client_ref=wanted.client_ref,
        create=lambda: sim.world.create_export(trial, wanted.client_ref, wanted.format, now),
    )
    if replayed:
        mark_replayed(response)
    return sim.world.exports[export_id].export


@router.post(
    "/trials/{trial}/exports/dry-run",
    response_model=ExportCheck,
    responses=problem_responses(409),
)
async def dry_run_export(
    trial: TrialName, wanted: Annotated[ExportRequest, examples.EXPORT], sim: SimDep, now: Now
) -> ExportCheck:
    """Check an export request without making it: nothing is prepared, created or recorded,
    so it needs no Idempotency-Key. 409 when the vendor will not confirm an export now."""
    return exits.check_export(sim.world, trial, wanted, now)


@router.get("/exports/{export_id}", response_model=DataExport, responses=problem_responses(404))
async def get_export(export_id: str, sim: SimDep) -> DataExport:
    """A data export; size and sha256 are set once it is ready."""
    return found(sim.world.exports, export_id, "export").export


@router.get(
    "/exports/{export_id}/content",
    response_class=OctetStream,
    responses={**BYTES, **problem_responses(404, 409)},
)
async def download_export(export_id: str, sim: SimDep) -> OctetStream:
    """A ready export's bytes; 409 while it is still pending."""
    return OctetStream(exits.export_content(sim.world, export_id))


@router.get("/trials/{trial}/kt-documents", response_model=Page[KnowledgeDocument])
async def list_kt_documents(trial: TrialName, sim: SimDep, now: Now) -> Page[KnowledgeDocument]:
    """The knowledge-transfer documents for a trial."""
    return Page[KnowledgeDocument](items=exits.list_documents(sim.world, trial, now))


@router.get(
    "/kt-documents/{document_id}/content",
    response_class=OctetStream,
    responses={**BYTES, **problem_responses(404)},
)
async def download_kt_document(document_id: str, sim: SimDep) -> OctetStream:
    """A knowledge-transfer document's bytes."""
    found(sim.world.documents, document_id, "knowledge document")
    return OctetStream(sim.world.blobs[document_id])
