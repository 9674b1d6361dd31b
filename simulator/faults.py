"""Fault injection for the flaky and ghost profiles, as ASGI middleware in front of the API."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from simulator.clock import SimClock
from simulator.config import SimulatorConfig
from simulator.errors import problem_response
from simulator.profiles import Profile

BEFORE_KINDS = ("unavailable", "throttled", "slow", "timeout")
# After the effect is recorded only these make sense: the client cannot tell it happened.
AFTER_KINDS = ("unavailable", "timeout")


@dataclass(frozen=True)
class Fault:
    """One injected fault; `after` means the request was handled first."""

    number: int
    method: str
    path: str
    kind: str
    after: bool
    delay: float = 0.0
    retry_after: int | None = None


class FaultPlan:
    """Decides, deterministically per seed and request number, which requests misbehave."""

    def __init__(self, config: SimulatorConfig, profile: Profile, clock: SimClock) -> None:
        self.config = config
        self.profile = profile
        self.clock = clock
        self.requests = 0
        self.log: list[Fault] = []

    def gone(self) -> bool:
        """Whether a ghost vendor has stopped answering."""
        if not self.profile.ghost:
            return False
        after_requests, after_days = self.config.ghost_after_requests, self.config.ghost_after_days
        return (after_requests is not None and self.requests >= after_requests) or (
            after_days is not None and self.clock.days_elapsed() >= after_days
        )

    def decide(self, method: str, path: str) -> Fault | None:
        """Count an API request, and return the fault to inject into it, if any."""
        self.requests += 1
        if not self.profile.faults:
            return None
        rng = random.Random(f"{self.config.seed}:{self.requests}")
        if rng.random() >= self.config.fault_rate:
            return None
        after = method == "POST" and rng.random() < 0.5
        kind = rng.choice(AFTER_KINDS if after else BEFORE_KINDS)
        delay, retry_after = 0.0, None
        if kind == "slow":
            delay = rng.uniform(*self.config.slow_seconds)
        elif kind == "timeout":
            delay = self.config.timeout_seconds
        elif kind == "throttled":
            retry_after = rng.choice((0, 1))
        fault = Fault(self.requests, method, path, kind, after, delay, retry_after)
        self.log.append(fault)
        return fault


class FaultMiddleware:
    """Injects the plan's faults into /v1 requests; health only hangs, admin never faults."""

    def __init__(self, app: ASGIApp, plan: FaultPlan, hang_seconds: float) -> None:
        self.app = app
        self.plan = plan
        self.hang_seconds = hang_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or delay, refuse or drop it as the plan says."""
        if scope["type"] != "http" or not scope["path"].startswith("/v1/"):
            return await self.app(scope, receive, send)
        if self.plan.gone():
            return await self._hang(scope, receive, send)
        if scope["path"] == "/v1/health":
            return await self.app(scope, receive, send)
        fault = self.plan.decide(scope["method"], scope["path"])
        if fault is None:
            return await self.app(scope, receive, send)
        # The app reads the buffered body; `receive` is left to report a disconnect.
        body = _replaying(await _read_body(receive), receive)
        if fault.after:
            return await self._after(fault, scope, receive, body, send)
        return await self._before(fault, scope, receive, body, send)

    async def _before(
        self, fault: Fault, scope: Scope, receive: Receive, body: Receive, send: Send
    ) -> None:
        if fault.kind == "unavailable":
            return await _problem(503, "Injected outage.", scope, body, send)
        if fault.kind == "throttled":
            headers = {"Retry-After": str(fault.retry_after)}
            return await _problem(429, "Slow down.", scope, body, send, headers)
        if await _still_there(receive, fault.delay):
            await self.app(scope, body, send)

    async def _after(
        self, fault: Fault, scope: Scope, receive: Receive, body: Receive, send: Send
    ) -> None:
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        await self.app(scope, body, hold)
        if fault.kind == "unavailable":
            return await _problem(503, "Injected outage after the work.", scope, body, send)
        if await _still_there(receive, fault.delay):
            for message in held:
                await send(message)

    async def _hang(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _read_body(receive)
        if await _still_there(receive, self.hang_seconds):
            await _problem(503, "The vendor has stopped answering.", scope, receive, send)


async def _read_body(receive: Receive) -> list[Message]:
    """Read the whole request body, so that later reads only report a disconnect."""
    messages = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request" or not message.get("more_body", False):
            return messages


def _replaying(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


async def _still_there(receive: Receive, seconds: float) -> bool:
    """Wait `seconds`; False if the client hung up meanwhile."""
    if seconds <= 0:
        return True
    try:
        message = await asyncio.wait_for(receive(), timeout=seconds)
    except TimeoutError:
        return True
    return bool(message["type"] != "http.disconnect")


async def _problem(
    status: int,
    detail: str,
    scope: Scope,
    receive: Receive,
    send: Send,
    headers: dict[str, str] | None = None,
) -> None:
    await problem_response(status, detail, scope["path"], headers)(scope, receive, send)
