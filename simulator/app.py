"""The simulator's FastAPI app: the Vendor Work API with real state and accelerated time."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from adapters.contract import Problem
from simulator.config import SimulatorConfig
from simulator.errors import declare_implicit_answers, install_problem_handlers
from simulator.faults import FaultMiddleware
from simulator.routes import account, admin, handover, trials, work
from simulator.runtime import Simulator

TITLE = "Vendor Work API"
VERSION = "1.0.0"
DESCRIPTION = (
    "The API a vendor exposes to Vendor Trials. The engine is the client: it hands the "
    "vendor work items, reads back deliverables, metrics, timesheets and invoices, gives "
    "directives, and at exit gets its knowledge, data and access back. Every request but "
    "health needs a bearer token; creations take an `Idempotency-Key` and happen at most "
    "once per key; errors are RFC 9457 problem+json. Vendors send Standard Webhooks-signed "
    "events when work moves."
)

ROUTERS = (
    account.health_router,
    account.router,
    work.router,
    trials.router,
    handover.router,
    admin.router,
)


def create_app(config: SimulatorConfig | None = None) -> FastAPI:
    """A simulator app for `config`; its clock and webhooks run while the app is served."""
    sim = Simulator(config or SimulatorConfig())

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        task = asyncio.create_task(sim.run())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    app = FastAPI(title=TITLE, version=VERSION, description=DESCRIPTION, lifespan=lifespan)
    app.state.sim = sim
    install_problem_handlers(app)
    app.add_middleware(FaultMiddleware, plan=sim.faults, hang_seconds=sim.config.hang_seconds)
    for router in ROUTERS:
        app.include_router(router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, plus the Problem schema that problem+json answers refer to, and
    the answers every operation can get from its path parameters and body."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=TITLE, version=VERSION, description=DESCRIPTION, routes=app.routes
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        declare_implicit_answers(document)
        app.openapi_schema = document
    return app.openapi_schema
