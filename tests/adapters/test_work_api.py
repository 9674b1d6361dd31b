"""The vendor client against httpx.MockTransport: parsing, retries, idempotency, typed errors."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from adapters.contract import WorkItemCreate
from adapters.errors import (
    VendorAuthError,
    VendorContractError,
    VendorRejected,
    VendorUnavailable,
)
from adapters.http import _retry_after
from adapters.work_api import VendorClient
from config import Settings

TOKEN = "tok-3f9a8b7c6d5e4f3a2b1c"
FAST = Settings(vendor_backoff_initial=0.001, vendor_backoff_max=0.01, vendor_max_attempts=4)
NOW = datetime(2026, 11, 27, tzinfo=UTC).isoformat()
ITEM = {
    "id": "wi-1",
    "client_ref": "t:e1:rung-1",
    "trial": "t",
    "title": "Reset passwords",
    "status": "accepted",
    "created_at": NOW,
    "due_at": NOW,
}
NEW_ITEM = WorkItemCreate(
    client_ref="t:e1:rung-1",
    trial="t",
    title="Reset passwords",
    hours={"engineer": Decimal(8)},
    rates={"engineer": Decimal(95)},
    currency="USD",
    due_in_days=5,
)

Handler = Callable[[httpx.Request], httpx.Response]


def client(handler: Handler) -> VendorClient:
    return VendorClient(
        vendor="Acme",
        base_url="http://vendor.test/",
        token=SecretStr(TOKEN),
        settings=FAST,
        transport=httpx.MockTransport(handler),
    )


def problem(status: int, title: str, detail: str = "") -> httpx.Response:
    return httpx.Response(
        status,
        json={"title": title, "status": status, "detail": detail},
        headers={"Content-Type": "application/problem+json"},
    )


def scripted(*responses: httpx.Response | Exception) -> tuple[Handler, list[httpx.Request]]:
    """A handler that answers with `responses` in turn and records each request."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handle, seen


async def test_answers_are_parsed_and_the_token_is_sent() -> None:
    handle, seen = scripted(
        httpx.Response(200, json={"vendor": "Acme", "client": "vt", "scopes": ["work:write"]})
    )
    async with client(handle) as vendor:
        who = await vendor.whoami()
    assert who.scopes == ["work:write"]
    assert seen[0].url == "http://vendor.test/v1/whoami"
    assert seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


async def test_a_post_is_retried_with_the_same_key_and_body() -> None:
    handle, seen = scripted(
        httpx.Response(200, json={"items": []}),
        problem(503, "Busy"),
        httpx.ConnectError("reset"),
        httpx.Response(201, json=ITEM),
    )
    async with client(handle) as vendor:
        item = await vendor.ensure_work_item(NEW_ITEM, key="t:e1:rung-1:work-item")
        stats = vendor.stats
    assert item.id == "wi-1"
    posts = [r for r in seen if r.method == "POST"]
    assert len(posts) == 3
    assert {r.headers["Idempotency-Key"] for r in posts} == {"t:e1:rung-1:work-item"}
    assert len({r.content for r in posts}) == 1
    assert json.loads(posts[0].content)["hours"] == {"engineer": "8"}
    assert (stats.calls, stats.attempts, stats.retries) == (2, 4, 2)


async def test_reconciling_finds_the_item_a_lost_answer_created() -> None:
    handle, seen = scripted(httpx.Response(200, json={"items": [ITEM]}))
    async with client(handle) as vendor:
        item = await vendor.ensure_work_item(NEW_ITEM, key="k")
    assert item.id == "wi-1" and [r.method for r in seen] == ["GET"]
    assert seen[0].url.params["client_ref"] == "t:e1:rung-1"


async def test_429_honours_retry_after() -> None:
    handle, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(200, json={"status": "ok", "time": NOW}),
    )
    async with client(handle) as vendor:
        assert (await vendor.health()).status == "ok"
    assert len(seen) == 2


def test_retry_after_reads_seconds_and_dates() -> None:
    def after(value: str) -> float | None:
        return _retry_after(httpx.Response(429, headers={"Retry-After": value}))

    assert after("3") == 3.0
    assert after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past: retry now
    assert after("soon") is None


async def test_a_timeout_is_retried_then_reported() -> None:
    handle, seen = scripted(httpx.ReadTimeout("slow"))
    with pytest.raises(VendorUnavailable) as raised:
        async with client(handle) as vendor:
            await vendor.health()
    assert len(seen) == 4
    assert str(raised.value) == (
        "Vendor Acme, health check: no answer in time (timeout) (gave up after 4 attempts; "
        "try again once it answers)."
    )


async def test_an_unreachable_host_is_named() -> None:
    handle, _ = scripted(httpx.ConnectError("connection refused"))
    with pytest.raises(VendorUnavailable, match="cannot reach http://vendor.test/"):
        async with client(handle) as vendor:
            await vendor.whoami()


async def test_a_4xx_is_not_retried_and_carries_the_problem() -> None:
    handle, seen = scripted(problem(422, "Idempotency key reused", "body differs"))
    with pytest.raises(VendorRejected) as raised:
        async with client(handle) as vendor:
            await vendor.acknowledge("t", terms=_ack(), key="k")
    assert len(seen) == 1
    assert "HTTP 422: Idempotency key reused: body differs (not retried" in str(raised.value)


async def test_a_wrong_token_says_to_check_the_token() -> None:
    handle, seen = scripted(problem(401, "Unauthorized", "unknown token"))
    with pytest.raises(VendorAuthError, match="check the token the plan names"):
        async with client(handle) as vendor:
            await vendor.whoami()
    assert len(seen) == 1


async def test_malformed_json_is_a_contract_error() -> None:
    handle, _ = scripted(httpx.Response(200, content=b"{not json"))
    with pytest.raises(VendorContractError, match="auth check: answered with malformed JSON"):
        async with client(handle) as vendor:
            await vendor.whoami()


async def test_a_wrong_schema_names_the_field() -> None:
    handle, _ = scripted(httpx.Response(200, json={"items": [ITEM | {"status": "lost"}]}))
    with pytest.raises(VendorContractError, match=r"breaks the contract at 'items\.0\.status'"):
        async with client(handle) as vendor:
            await vendor.find_work_items("x")


async def test_a_download_must_match_its_checksum() -> None:
    from hashlib import sha256

    from adapters.contract import Deliverable

    good = b"runbook " * 100
    handle, seen = scripted(
        httpx.Response(200, content=good[:10]), httpx.Response(200, content=good)
    )
    deliverable = Deliverable(
        id="d1",
        work_item_id="wi-1",
        name="runbook.md",
        size=len(good),
        sha256=sha256(good).hexdigest(),
        media_type="text/markdown",
        submitted_at=datetime.now(UTC),
    )
    async with client(handle) as vendor:
        assert await vendor.download_deliverable(deliverable) == good
    assert len(seen) == 2


async def test_the_token_never_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    handle, _ = scripted(
        problem(503, "Down", f"token {TOKEN} rejected upstream"),
        httpx.Response(200, json={"status": "ok", "time": NOW}),
    )
    async with client(handle) as vendor:
        await vendor.health()
    logging.getLogger("httpx").info("headers: {'authorization': 'Bearer %s'}", TOKEN)
    assert "retrying after attempt 1" in caplog.text
    assert TOKEN not in caplog.text and "***" in caplog.text


def _ack():  # type: ignore[no-untyped-def]
    from adapters.contract import AckRequest, ExpectationTerms

    return AckRequest(
        expectations=[
            ExpectationTerms(id="e", metric="m", comparator="<=", target=Decimal(1), unit="minutes")
        ]
    )
