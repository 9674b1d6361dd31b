"""Work items and their deliverables."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request, Response

from adapters.contract import Deliverable, Page, WorkItem, WorkItemCreate
from simulator import examples
from simulator.deps import Now, RequiredIdempotencyKey, SimDep, mark_replayed
from simulator.errors import problem_responses
from simulator.ledger import EffectKind
from simulator.routes.common import BYTES, OctetStream, api_router, replay
from simulator.state import found

router = api_router("work")


@router.post(
    "/work-items",
    status_code=201,
    response_model=WorkItem,
    responses={**replay(WorkItem, "work item"), **problem_responses(400)},
)
async def create_work_item(
    order: Annotated[WorkItemCreate, examples.WORK_ITEM],
    key: RequiredIdempotencyKey,
    sim: SimDep,
    now: Now,
    request: Request,
    response: Response,
) -> WorkItem:
    """Hand the vendor a work item; the same key and body always give the same item."""
    item_id, replayed = sim.ledger.once(
        key=key,
        request=("POST", request.url.path, order),
        kind=EffectKind.WORK_ITEMS,
        client_ref=order.client_ref,
        create=lambda: sim.world.create_work_item(order, now),
    )
    if replayed:
        mark_replayed(response)
    return sim.world.work[item_id].item


@router.get("/work-items", response_model=Page[WorkItem])
async def find_work_items(
    sim: SimDep,
    client_ref: Annotated[str | None, Query(max_length=200)] = None,
    trial: Annotated[str | None, Query(max_length=200)] = None,
) -> Page[WorkItem]:
    """Work items, optionally only those with a client reference or of a trial."""
    items = [
        record.item
        for record in sim.world.work.values()
        if client_ref in (None, record.item.client_ref) and trial in (None, record.item.trial)
    ]
    return Page[WorkItem](items=items)


@router.get("/work-items/{item_id}", response_model=WorkItem, responses=problem_responses(404))
async def get_work_item(item_id: str, sim: SimDep) -> WorkItem:
    """One work item as the vendor tracks it."""
    return found(sim.world.work, item_id, "work item").item


@router.get(
    "/work-items/{item_id}/deliverables",
    response_model=Page[Deliverable],
    responses=problem_responses(404),
)
async def list_deliverables(item_id: str, sim: SimDep) -> Page[Deliverable]:
    """The files delivered for a work item, with their sha256."""
    record = found(sim.world.work, item_id, "work item")
    return Page[Deliverable](items=[sim.world.deliverables[i] for i in record.deliverable_ids])


@router.get(
    "/deliverables/{deliverable_id}/content",
    response_class=OctetStream,
    responses={**BYTES, **problem_responses(404)},
)
async def download_deliverable(deliverable_id: str, sim: SimDep) -> OctetStream:
    """A deliverable's bytes."""
    found(sim.world.deliverables, deliverable_id, "deliverable")
    return OctetStream(sim.world.blobs[deliverable_id])
