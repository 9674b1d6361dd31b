"""The temporary server's busy answers say when to try again, sooner than Prefect's client
would wait on its own, and later while the server keeps answering busy."""

from __future__ import annotations

from typing import Any

import httpx

from config.temporary_server import RetrySoon


async def answer(scope: Any, receive: Any, send: Any) -> None:
    """A stand-in for Prefect's app: /busy is a locked SQLite's 503, anything else 200."""
    status = 503 if scope["path"] == "/busy" else 200
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def test_a_503_gains_a_retry_after_that_grows_with_a_burst() -> None:
    app = RetrySoon(answer)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://t") as http:
        fine = await http.get("/fine")
        assert fine.status_code == 200 and "retry-after" not in fine.headers
        first = await http.get("/busy")
        assert first.status_code == 503
        assert 0.1 <= float(first.headers["retry-after"]) <= 0.5  # a lone collision: soon
        for _ in range(9):
            last = await http.get("/busy")
    # the tenth 503 within a second: 10 times a random 0.1 to 0.5 s
    assert 1.0 <= float(last.headers["retry-after"]) <= 5.0
    assert len(app.busy) == 10
