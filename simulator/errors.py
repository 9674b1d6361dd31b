"""Every error as RFC 9457 problem+json, and the OpenAPI declarations of those answers."""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException
from starlette.routing import Match

from adapters.contract import Problem

PROBLEM_MEDIA_TYPE = "application/problem+json"
IDEMPOTENCY_HEADER = "Idempotency-Key"
UNREADABLE_BODY = "The body could not be read as JSON: send it as UTF-8 JSON."

_WHEN = {
    400: "The request lacks something the operation needs, such as an Idempotency-Key.",
    401: "The bearer token is missing or wrong.",
    404: "No such resource; a path parameter holding `/` names none.",
    409: "The resource is not in a state that allows this yet.",
    415: "The body is not sent as JSON: send `Content-Type: application/json`.",
    422: (
        "The request is invalid, its body is not UTF-8 JSON, or it reuses an "
        "Idempotency-Key with a different body."
    ),
    429: "Too many requests; retry after the Retry-After seconds.",
    503: "The vendor is unavailable; retry later.",
}


class ProblemError(Exception):
    """An answer that is an error; the handler turns it into problem+json."""

    def __init__(
        self, status: int, detail: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


def problem_response(
    status: int,
    detail: str | None = None,
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A problem+json answer for a status code."""
    problem = Problem(
        title=HTTPStatus(status).phrase, status=status, detail=detail, instance=instance
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries declaring problem+json answers for these statuses."""
    schema = {"$ref": "#/components/schemas/Problem"}
    declared: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        entry: dict[str, Any] = {
            "description": _WHEN[status],
            "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}},
        }
        if status == 429:
            entry["headers"] = {
                "Retry-After": {"description": "Seconds to wait.", "schema": {"type": "integer"}}
            }
        declared[status] = entry
    return declared


def declare_implicit_answers(document: dict[str, Any]) -> None:
    """Declare the answers an operation gets from its shape rather than from its code.

    Any path parameter can name nothing, or hold a `/` that no route matches (404); any
    body can be sent as another media type (415).
    """
    for operation in _operations(document):
        implicit = []
        if any(p.get("in") == "path" for p in operation.get("parameters", [])):
            implicit.append(404)
        if "requestBody" in operation:
            implicit.append(415)
        for status, entry in problem_responses(*implicit).items():
            operation["responses"].setdefault(str(status), entry)


def _operations(document: dict[str, Any]) -> list[dict[str, Any]]:
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return [
        operation
        for path_item in document.get("paths", {}).values()
        for method, operation in path_item.items()
        if method in methods
    ]


def install_problem_handlers(app: FastAPI) -> None:
    """Answer every error, including FastAPI's own, with problem+json."""
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(HTTPException, _on_http_exception)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(Exception, _on_bug)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(exc.status, exc.detail, request.url.path, exc.headers)


async def _on_http_exception(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 400:
        # FastAPI's answer to a body it cannot decode (bytes that are not UTF-8, JSON nested
        # past Python's recursion limit): answered as invalid JSON is, with a 422.
        return problem_response(422, UNREADABLE_BODY, request.url.path)
    detail = exc.detail if exc.detail != HTTPStatus(exc.status_code).phrase else None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem_response(exc.status_code, detail, request.url.path, headers)


def _allowed_methods(request: Request) -> list[str]:
    # Starlette's Allow names only the first route on the path; each method is its own route.
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


async def _on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(_is_missing_key(error) for error in errors):
        detail = f"The {IDEMPOTENCY_HEADER} header is required: send the same key on every retry."
        return problem_response(400, detail, request.url.path)
    return problem_response(422, "; ".join(_describe(e) for e in errors), request.url.path)


async def _on_bug(request: Request, exc: Exception) -> JSONResponse:
    detail = f"The simulator failed ({type(exc).__name__}); this is a bug in the simulator."
    return problem_response(500, detail, request.url.path)


def _is_missing_key(error: dict[str, Any]) -> bool:
    return error.get("type") == "missing" and tuple(error.get("loc", ())) == (
        "header",
        IDEMPOTENCY_HEADER,
    )


def _describe(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}"
