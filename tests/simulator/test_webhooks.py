"""Webhooks are signed with Standard Webhooks and verify with the shared secret."""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from adapters.contract import WebhookEvent
from simulator.config import SimulatorConfig
from simulator.serve import serve
from tests.conftest import StartSimulator
from tests.simulator.helpers import TRIAL, create, order, vendor_client

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def receiver(received: list[tuple[bytes, dict[str, str]]]) -> FastAPI:
    """A webhook receiver that records deliveries and fails each message's first attempt."""
    app = FastAPI()
    failed: set[str] = set()

    @app.post("/hooks")
    async def hook(request: Request) -> Response:
        message_id = request.headers["webhook-id"]
        if message_id not in failed:
            failed.add(message_id)
            return Response(status_code=503)
        received.append((await request.body(), dict(request.headers)))
        return Response(status_code=204)

    return app


def test_events_arrive_signed_in_order(simulator_server: StartSimulator) -> None:
    received: list[tuple[bytes, dict[str, str]]] = []
    with serve(receiver(received)) as hooks_url:
        config = SimulatorConfig(
            seconds_per_day=10_000, webhook_url=f"{hooks_url}/hooks", webhook_secret=SECRET
        )
        client = vendor_client(simulator_server(config))
        item = create(client, order(), "k").json()
        client.post(
            f"/v1/trials/{TRIAL}/directives",
            json={"client_ref": "d-1", "text": "Escalate P1s by phone", "area": "priorities"},
        )
        client.post("/admin/clock/advance", params={"days": 5})
        log = wait_for_deliveries(client, at_least=5)

    events = [
        WebhookEvent.model_validate(Webhook(SECRET).verify(body, headers))
        for body, headers in received
    ]
    kinds = [event.type.value for event in events]
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)
    assert [e.data["status"] for e in events if e.type == "work_item.updated"] == [
        "in_progress",
        "delivered",
    ]
    assert {"deliverable.submitted", "invoice.issued", "directive.answered"} <= set(kinds)
    assert all(e.trial == TRIAL for e in events)
    assert next(e for e in events if e.type == "work_item.updated").subject == item["id"]
    assert all(entry["delivered"] and entry["attempts"] == 2 for entry in log)
    assert [entry["id"] for entry in log] == [headers["webhook-id"] for _, headers in received]

    body, headers = received[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(SECRET).verify(body + b" ", headers)


def wait_for_deliveries(client: Any, at_least: int, within: float = 10.0) -> list[dict[str, Any]]:
    """Poll the simulator's delivery log until `at_least` deliveries have been made."""
    deadline = time.monotonic() + within
    while True:
        log: list[dict[str, Any]] = client.get("/admin/webhooks").json()
        if len(log) >= at_least and all(entry["delivered"] for entry in log):
            return log
        assert time.monotonic() < deadline, log
        time.sleep(0.05)
