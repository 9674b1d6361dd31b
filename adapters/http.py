"""One request to the vendor, retried safely: jittered backoff, Retry-After, same key and body."""

from __future__ import annotations

import email.utils
import logging
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from dataclasses import dataclass, field

import httpx
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from adapters.contract import Problem
from adapters.errors import (
    VendorAuthError,
    VendorError,
    VendorNotFound,
    VendorRejected,
    VendorUnavailable,
)
from config import Settings

log = logging.getLogger("trials.vendor")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try: attempts in all, and the exponential backoff's first and largest wait."""

    max_attempts: int = 6
    initial: float = 0.2
    largest: float = 8.0


@dataclass
class CallStats:
    """What the client did: calls made, attempts sent, retries, and answers by status."""

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)


RequestGate = Callable[[str], AbstractAsyncContextManager[object]]
_gate: RequestGate | None = None


def set_request_gate(gate: RequestGate | None) -> None:
    """From now on, hold `gate(vendor)` around each request to a vendor (None: no gate).

    The engine installs one that holds a slot of the vendor's concurrency limit, so the
    requests in flight to a vendor stay bounded across every process. A slot is held for
    one attempt only, never during the wait before a retry.
    """
    global _gate
    _gate = gate


class Requester:
    """Sends requests on one httpx.AsyncClient and turns every failure into a VendorError."""

    @classmethod
    def open(
        cls,
        vendor: str,
        base_url: str,
        auth_headers: dict[str, str],
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> Requester:
        """One vendor's requester: an AsyncClient with the settings' timeouts and connection
        limit, the given auth headers (the caller masks the secret in them with
        `adapters.redact.protect` first), and the settings' retry policy."""
        http = httpx.AsyncClient(
            base_url=base_url,
            headers={**auth_headers, "Accept": "application/json", "User-Agent": "vendor-trials"},
            timeout=httpx.Timeout(
                settings.vendor_read_timeout, connect=settings.vendor_connect_timeout
            ),
            limits=httpx.Limits(max_connections=settings.vendor_max_connections),
            transport=transport,
        )
        policy = RetryPolicy(
            settings.vendor_max_attempts,
            settings.vendor_backoff_initial,
            settings.vendor_backoff_max,
        )
        return cls(vendor, http, policy)

    def __init__(self, vendor: str, http: httpx.AsyncClient, policy: RetryPolicy) -> None:
        self.vendor, self.http, self.policy = vendor, http, policy
        self.stats = CallStats()
        self._backoff = wait_exponential_jitter(
            multiplier=policy.initial, max=policy.largest, jitter=policy.initial
        )

    async def send(
        self,
        call: str,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        key: str | None = None,
        params: dict[str, str] | None = None,
        effectless: bool = False,
        content_type: str = "application/json",
    ) -> httpx.Response:
        """The vendor's 2xx answer; a POST is retried only with its Idempotency-Key, or when
        it is `effectless` (a dry run, or a request that changes nothing twice: a DELETE,
        a PUT of the same state)."""
        headers = {"Content-Type": content_type} if body is not None else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        safe = method in ("GET", "HEAD") or key is not None or effectless
        self.stats.calls += 1
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.policy.max_attempts if safe else 1),
            wait=self._wait,
            retry=retry_if_exception(lambda e: isinstance(e, VendorError) and e.retryable),
            before_sleep=self._before_sleep,
            reraise=True,
        )
        attempts = 0
        try:
            async for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    return await self._once(call, method, path, body, headers, params)
        except VendorError as exc:
            self.stats.failures[type(exc).__name__] += 1
            raise exc.after(attempts) from None
        raise AssertionError("unreachable: tenacity either returns or raises")

    async def _once(
        self,
        call: str,
        method: str,
        path: str,
        body: bytes | None,
        headers: dict[str, str],
        params: dict[str, str] | None,
    ) -> httpx.Response:
        self.stats.attempts += 1
        try:
            async with _gate(self.vendor) if _gate is not None else nullcontext():
                started = time.perf_counter()
                response = await self.http.request(
                    method, path, content=body, headers=headers, params=params
                )
        except httpx.TimeoutException:
            raise VendorUnavailable(self.vendor, call, "no answer in time (timeout)") from None
        except httpx.TransportError as exc:
            raise VendorUnavailable(
                self.vendor, call, f"cannot reach {self.http.base_url}: {exc!r}"
            ) from None
        self.stats.statuses[response.status_code] += 1
        log.debug(
            "%s %s -> %s in %.3fs",
            method,
            path,
            response.status_code,
            time.perf_counter() - started,
        )
        if response.is_success:
            return response
        raise self._failure(call, response)

    def _failure(self, call: str, response: httpx.Response) -> VendorError:
        status = response.status_code
        what = f"HTTP {status}: {_problem_text(response)}"
        if status == 429 or status >= 500:
            return VendorUnavailable(self.vendor, call, what, retry_after=_retry_after(response))
        if status in (401, 403):
            return VendorAuthError(self.vendor, call, what)
        if status == 404:
            return VendorNotFound(self.vendor, call, what)
        return VendorRejected(self.vendor, call, what)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, VendorUnavailable) and error.retry_after is not None:
            return min(error.retry_after, self.policy.largest)
        return float(self._backoff(state))

    def _before_sleep(self, state: RetryCallState) -> None:
        self.stats.retries += 1
        error = state.outcome.exception() if state.outcome else None
        log.info("retrying after attempt %d: %s", state.attempt_number, error)


def _problem_text(response: httpx.Response) -> str:
    """The problem+json title and detail, or the start of whatever body came back."""
    try:
        problem = Problem.model_validate_json(response.content)
    except ValidationError:
        return response.text[:200] or response.reason_phrase
    return f"{problem.title}: {problem.detail}" if problem.detail else problem.title


def _retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds, whether given as seconds or as an HTTP date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
