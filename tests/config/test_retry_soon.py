"""The temporary server tries a busy request again itself before it answers busy; a busy
answer then says when to try again, sooner than Prefect's client would wait on its own,
and later while the server keeps answering busy."""

from __future__ import annotations

from typing import Any

import httpx

from config.temporary_server import RetrySoon


async def answer(scope: Any, receive: Any, send: Any) -> None:
    """A stand-in for Prefect's app: /busy is a locked SQLite's 503, anything else 200."""
    status = 503 if scope["path"] == "/busy" else 200
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


class BusyAtFirst:
    """A stand-in for Prefect's app whose first `busy` answers are 503s, each followed by
    the error raised again, as Starlette does for the server's log; it keeps each request
    body it was given."""

    def __init__(self, busy: int) -> None:
        self.busy = busy
        self.bodies: list[bytes] = []
        self.paths: list[str] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        message = await receive()
        self.bodies.append(message["body"])
        self.paths.append(scope["path"])
        scope["path"] = "/api" + scope["path"]  # as a mount rewrites the scope it is given
        status = 503 if len(self.bodies) <= self.busy else 201
        await send({"type": "http.response.start", "status": status, "headers": []})
        body = b'{"busy": true}' if status == 503 else message["body"]
        await send({"type": "http.response.body", "body": body})
        if status == 503:
            raise RuntimeError("database is locked")


def client(app: Any) -> httpx.AsyncClient:
    """A client of the app; an error the app raises after it answered is the server's to
    log, as uvicorn does, and the answer stands."""
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://t")


async def test_a_busy_request_is_tried_again_here_with_its_body_until_it_goes_through() -> None:
    app = BusyAtFirst(busy=3)
    middleware = RetrySoon(app)
    async with client(middleware) as http:
        done = await http.post("/flow_runs/", json={"name": "trial-x"})
    assert done.status_code == 201 and done.json() == {"name": "trial-x"}
    assert app.bodies == [b'{"name":"trial-x"}'] * 4  # the same request, four times
    assert app.paths == ["/flow_runs/"] * 4
    assert middleware.retried == 3 and middleware.busy == []  # no 503 reached the client


async def test_a_request_busy_at_every_try_is_answered_busy_with_a_retry_after() -> None:
    app = BusyAtFirst(busy=100)
    middleware = RetrySoon(app)
    async with client(middleware) as http:
        busy = await http.post("/flow_runs/", json={"name": "trial-x"})
    assert busy.status_code == 503 and busy.json() == {"busy": True}
    assert len(app.bodies) == RetrySoon.ATTEMPTS
    assert 0.1 <= float(busy.headers["retry-after"]) <= 0.5  # a lone 503: soon


async def test_a_503_gains_a_retry_after_that_grows_with_a_burst() -> None:
    app = RetrySoon(answer)
    app.ATTEMPTS = 1  # each busy request answered at once, to make a burst within a second
    async with client(app) as http:
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
