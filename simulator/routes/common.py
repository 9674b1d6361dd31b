"""Shared route declarations: authenticated routers, replay answers and byte downloads."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from simulator.deps import current_time, require_json_body, require_token
from simulator.errors import problem_responses

OCTET_STREAM = "application/octet-stream"
BYTES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The file's bytes; their sha256 is the one advertised.",
        "content": {OCTET_STREAM: {"schema": {"type": "string", "format": "binary"}}},
    }
}


class OctetStream(Response):
    """A download."""

    media_type = OCTET_STREAM


def api_router(tag: str) -> APIRouter:
    """A /v1 router: routes need the token and JSON bodies, see an up-to-date world, may be
    throttled."""
    return APIRouter(
        prefix="/v1",
        tags=[tag],
        dependencies=[Depends(require_token), Depends(require_json_body), Depends(current_time)],
        responses=problem_responses(401, 422, 429, 503),
    )


def replay(model: type[Any], what: str) -> dict[int | str, dict[str, Any]]:
    """The 200 answer to a repeated request with the same Idempotency-Key and body."""
    return {
        200: {
            "model": model,
            "description": f"A replay: the {what} first made with this Idempotency-Key.",
            "headers": {
                "Idempotent-Replayed": {
                    "description": "`true` on a replay.",
                    "schema": {"type": "string"},
                }
            },
        }
    }
