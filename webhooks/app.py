"""The webhook receiver app: POST /webhooks/{vendor} verifies, records once, then emits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from adapters.contract import Problem
from config import Settings, get_settings
from webhooks.body import body_text, capped_body, parse_event
from webhooks.events import announce
from webhooks.problems import MEDIA_TYPE, install_handlers
from webhooks.record import Outcome, mark_announced, record_delivery
from webhooks.verify import verifier, verify

router = APIRouter()
VendorName = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        description="The sending vendor: its name as a slug, as `trials show` prints it.",
    ),
]
RawBody = Annotated[bytes, Depends(capped_body)]


class Receipt(BaseModel):
    """The answer to a delivery that was recorded now, or before."""

    status: Outcome


def _problem(description: str) -> dict[str, Any]:
    return {"model": Problem, "description": description, "content": {MEDIA_TYPE: {}}}


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


@router.post(
    "/webhooks/{vendor}",
    status_code=202,
    response_model=Receipt,
    responses={
        200: {"model": Receipt, "description": "A duplicate: recorded before, not again."},
        400: _problem("The body is not UTF-8 JSON matching WebhookEvent."),
        401: _problem("Signature headers missing or wrong, or the timestamp is stale."),
        404: _problem("No stored trial has this vendor; nothing is recorded."),
        409: _problem("The webhook-id was recorded with a different body."),
        413: _problem("The body is too large."),
        422: _problem("The event's trial is not one of this vendor's trials; not recorded."),
        503: _problem("No webhook secret is configured, or the store is down."),
    },
)
def receive(
    vendor: VendorName,
    request: Request,
    body: RawBody,
    settings: Annotated[Settings, Depends(_settings)],
) -> JSONResponse:
    """Verify a signed vendor delivery, record it once, and announce it as a Prefect event."""
    webhook = verifier(settings.webhook_secret)
    delivery = verify(webhook=webhook, body=body_text(body), headers=request.headers)
    event = parse_event(delivery.body)
    outcome = record_delivery(settings=settings, vendor=vendor, delivery=delivery, event=event)
    if outcome.to_announce and announce(vendor=vendor, webhook_id=delivery.webhook_id, event=event):
        mark_announced(settings=settings, webhook_id=delivery.webhook_id)
    if outcome is Outcome.RECORDED:
        return JSONResponse({"status": outcome.value}, status_code=202)
    return JSONResponse({"status": Outcome.DUPLICATE.value}, status_code=200)


def create_app(settings: Settings | None = None) -> FastAPI:
    """The receiver, on the given settings or on those of the environment."""
    app = FastAPI(
        title="Vendor Trials webhook receiver",
        summary="Signed vendor webhooks (Standard Webhooks), recorded once, emitted to Prefect.",
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings or get_settings()
    install_handlers(app)
    app.include_router(router)
    return app
