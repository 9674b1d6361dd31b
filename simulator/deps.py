"""What routes receive: the simulator, the checked token, the time now, idempotency keys."""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Annotated, cast

from fastapi import Depends, Header, Path, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from simulator.errors import IDEMPOTENCY_HEADER, ProblemError
from simulator.examples import TRIAL
from simulator.runtime import Simulator

KEY_HELP = "The same key on every retry of one request; the effect happens at most once."

bearer = HTTPBearer(
    auto_error=False, scheme_name="bearer", description="The token the vendor issued."
)


def get_simulator(request: Request) -> Simulator:
    """The simulator serving this app."""
    return cast(Simulator, request.app.state.sim)


SimDep = Annotated[Simulator, Depends(get_simulator)]


def require_token(
    sim: SimDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> None:
    """Refuse a request without the simulator's bearer token."""
    if credentials is None or not hmac.compare_digest(
        credentials.credentials.encode(), sim.config.token.encode()
    ):
        raise ProblemError(
            401,
            "Send `Authorization: Bearer <token>` with the token the vendor issued.",
            headers={"WWW-Authenticate": 'Bearer realm="vendor"'},
        )


def require_json_body(request: Request) -> None:
    """Refuse a body sent as anything but JSON, on operations that take one."""
    if getattr(request.scope.get("route"), "body_field", None) is None:
        return
    content_type = request.headers.get("content-type")
    if content_type and not is_json(content_type):
        raise ProblemError(415, f"The body was sent as {content_type!r}: send application/json.")


def is_json(content_type: str) -> bool:
    """Whether a Content-Type names JSON, as FastAPI reads it: application/json or +json."""
    media_type = content_type.partition(";")[0].strip().lower()
    kind, _, subtype = media_type.partition("/")
    return kind == "application" and (subtype == "json" or subtype.endswith("+json"))


def current_time(sim: SimDep) -> datetime:
    """The simulated time now, with the world brought up to it."""
    return sim.now()


Now = Annotated[datetime, Depends(current_time)]
IdempotencyKey = Annotated[
    str | None, Header(alias=IDEMPOTENCY_HEADER, min_length=1, max_length=200, description=KEY_HELP)
]
RequiredIdempotencyKey = Annotated[
    str, Header(alias=IDEMPOTENCY_HEADER, min_length=1, max_length=200, description=KEY_HELP)
]
TrialName = Annotated[
    str, Path(min_length=1, max_length=200, description="The trial's slug.", examples=[TRIAL])
]


def mark_replayed(response: Response) -> None:
    """Answer a repeated request as a replay of the first one."""
    response.status_code = 200
    response.headers["Idempotent-Replayed"] = "true"
