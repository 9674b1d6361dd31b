"""Test and demo controls, outside the contract: the ledger, the clock, webhooks, faults."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query

from simulator.deps import SimDep

router = APIRouter(prefix="/admin", tags=["admin"], include_in_schema=False)


@router.get("/ledger")
async def ledger(sim: SimDep) -> dict[str, Any]:
    """Side effects per idempotency key and client reference, and counts by kind."""
    return sim.ledger.snapshot()


@router.get("/clock")
async def clock(sim: SimDep) -> dict[str, Any]:
    """The simulated time and how many simulated days have passed."""
    return {"now": sim.now().isoformat(), "days_elapsed": sim.clock.days_elapsed()}


@router.post("/clock/advance")
async def advance_clock(
    sim: SimDep, days: Annotated[float, Query(ge=0, le=3650)] = 1.0
) -> dict[str, Any]:
    """Jump simulated time forward, and let everything due by then happen."""
    sim.clock.advance(days)
    return await clock(sim)


@router.get("/webhooks")
async def webhooks(sim: SimDep) -> list[dict[str, Any]]:
    """Every webhook delivery attempted, oldest first."""
    return [asdict(d) for d in sim.webhooks.log] if sim.webhooks is not None else []


@router.get("/faults")
async def faults(sim: SimDep) -> dict[str, Any]:
    """Requests counted, faults injected so far, and whether a ghost has gone."""
    return {
        "requests": sim.faults.requests,
        "gone": sim.faults.gone(),
        "faults": [asdict(f) for f in sim.faults.log],
    }
