"""Per-trial exchanges: acknowledged expectations, reports, costs and directives."""

from __future__ import annotations

from typing import Annotated

from fastapi import Request, Response

from adapters.contract import (
    Ack,
    AckRequest,
    Directive,
    DirectiveCreate,
    Invoice,
    Metric,
    Page,
    TimesheetLine,
)
from simulator import examples
from simulator.deps import IdempotencyKey, Now, SimDep, TrialName, mark_replayed
from simulator.errors import problem_responses
from simulator.ledger import EffectKind
from simulator.routes.common import api_router, replay
from simulator.state import found

router = api_router("trials")


@router.post("/trials/{trial}/expectations/ack", response_model=Ack)
async def acknowledge(
    trial: TrialName,
    terms: Annotated[AckRequest, examples.ACK],
    sim: SimDep,
    now: Now,
    request: Request,
    response: Response,
    key: IdempotencyKey = None,
) -> Ack:
    """The vendor acknowledges the expectations; its metrics will measure them."""
    ack_id, replayed = sim.ledger.once(
        key=key,
        request=("POST", request.url.path, terms),
        kind=EffectKind.ACKS,
        client_ref=None,
        create=lambda: sim.world.acknowledge(trial, terms, now),
    )
    if replayed:
        mark_replayed(response)
    return sim.world.acks[ack_id]


@router.get("/trials/{trial}/metrics", response_model=Page[Metric])
async def list_metrics(trial: TrialName, sim: SimDep, now: Now) -> Page[Metric]:
    """Measured values of the acknowledged metrics, one per delivered work item."""
    return Page[Metric](items=sim.world.trial(trial, now).metrics)


@router.get("/trials/{trial}/timesheets", response_model=Page[TimesheetLine])
async def list_timesheets(trial: TrialName, sim: SimDep, now: Now) -> Page[TimesheetLine]:
    """Hours booked by role, at the agreed rates."""
    return Page[TimesheetLine](items=sim.world.trial(trial, now).timesheets)


@router.get("/trials/{trial}/invoices", response_model=Page[Invoice])
async def list_invoices(trial: TrialName, sim: SimDep, now: Now) -> Page[Invoice]:
    """Invoices issued, one per delivered work item."""
    return Page[Invoice](items=sim.world.trial(trial, now).invoices)


@router.post(
    "/trials/{trial}/directives",
    status_code=201,
    response_model=Directive,
    responses=replay(Directive, "directive"),
)
async def give_directive(
    trial: TrialName,
    directive: Annotated[DirectiveCreate, examples.DIRECTIVE],
    sim: SimDep,
    now: Now,
    request: Request,
    response: Response,
    key: IdempotencyKey = None,
) -> Directive:
    """Give the vendor an instruction; it answers after a while."""
    directive_id, replayed = sim.ledger.once(
        key=key,
        request=("POST", request.url.path, directive),
        kind=EffectKind.DIRECTIVES,
        client_ref=directive.client_ref,
        create=lambda: sim.world.create_directive(
            trial, directive.client_ref, directive.text, directive.area, now
        ),
    )
    if replayed:
        mark_replayed(response)
    return sim.world.directives[directive_id].directive


@router.get(
    "/directives/{directive_id}", response_model=Directive, responses=problem_responses(404)
)
async def get_directive(directive_id: str, sim: SimDep) -> Directive:
    """A directive, and the vendor's answer once given."""
    return found(sim.world.directives, directive_id, "directive").directive
