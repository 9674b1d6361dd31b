"""Health and identity: is the API up, and whose token is this."""

from __future__ import annotations

from fastapi import APIRouter

from adapters.contract import Health, WhoAmI
from simulator.deps import Now, SimDep
from simulator.errors import problem_responses
from simulator.routes.common import api_router

SCOPES = [
    "work-items:write",
    "work-items:read",
    "reports:read",
    "access:manage",
    "exports:manage",
    "knowledge:read",
    "directives:write",
]

health_router = APIRouter(prefix="/v1", tags=["account"])
router = api_router("account")


@health_router.get("/health", response_model=Health, responses=problem_responses(503))
async def health(now: Now) -> Health:
    """Whether the API is up; needs no token."""
    return Health(status="ok", time=now)


@router.get("/whoami", response_model=WhoAmI)
async def whoami(sim: SimDep) -> WhoAmI:
    """The vendor, the client the token was issued to, and what it may do."""
    return WhoAmI(vendor=sim.world.vendor, client="vendor-trials", scopes=SCOPES)
