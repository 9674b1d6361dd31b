"""RFC 9457 problem+json answers, and the handlers that turn every failure into one."""

from __future__ import annotations

import logging
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from adapters.contract import Problem
from models.errors import StoreError
from webhooks.errors import WebhookError

logger = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "tag:vendor-trials,2026:webhooks/"  # a name, not a page to fetch (RFC 9457 3.1.1)


def problem(
    request: Request, status: int, detail: str, *, slug: str | None = None, title: str = ""
) -> JSONResponse:
    """A problem+json response; without a slug the type is about:blank."""
    body = Problem(
        type=f"{TYPE_BASE}{slug}" if slug else "about:blank",
        title=title or HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        instance=request.url.path,
    )
    return JSONResponse(body.model_dump(), status_code=status, media_type=MEDIA_TYPE)


def install_handlers(app: FastAPI) -> None:
    """Answer refusals, HTTP errors, store outages and bugs as problems, never a traceback."""
    app.add_exception_handler(WebhookError, _refused)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _bad_request)  # type: ignore[arg-type]
    app.add_exception_handler(StoreError, _store_down)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _internal)


async def _refused(request: Request, exc: WebhookError) -> JSONResponse:
    logger.info("Refused a webhook to %s: %s", request.url.path, exc)
    return problem(request, exc.status, str(exc), slug=exc.slug, title=exc.title)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    response = problem(request, exc.status_code, str(exc.detail))
    response.headers.update(exc.headers or {})  # e.g. Allow on a 405
    return response


async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    where = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:5])
    return problem(request, 400, f"The request is malformed: {where}.", slug="bad-request")


async def _store_down(request: Request, exc: StoreError) -> JSONResponse:
    logger.error("Webhook to %s not recorded: %s", request.url.path, exc)
    return problem(
        request,
        503,
        "The engine cannot record deliveries right now. Retry this delivery unchanged later.",
        slug="store-unavailable",
    )


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    logger.error("Webhook to %s failed", request.url.path, exc_info=exc)
    return problem(
        request,
        500,
        "The receiver failed on this delivery. Retry it unchanged later (a delivery already "
        "recorded is then acknowledged as a duplicate); the receiver's log has the details.",
        slug="internal-error",
    )
