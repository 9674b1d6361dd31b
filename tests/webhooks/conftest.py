"""The receiver's harness: a secret, signed deliveries, a live server, and a Prefect API.

Every test here runs under the session's Prefect server (`prefect_api`), and the events the
receiver emits are both captured (to count them) and sent on to that server (to read back).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prefect.client.orchestration import get_client
from prefect.events import Event
from prefect.events.clients import AssertingPassthroughEventsClient
from prefect.events.filters import EventFilter, EventIDFilter, EventNameFilter, EventResourceFilter
from prefect.events.worker import EventsWorker
from pydantic import SecretStr
from standardwebhooks import Webhook

from config import Settings
from planfile import load_plan, require_valid
from store.db import write_session
from store.trials import create_trial
from tests.conftest import VALID_PLAN
from webhooks.app import create_app
from webhooks.events import event_id

SECRET = "whsec_" + base64.b64encode(b"vendor-trials-webhook-test-key!!").decode()
VENDOR = "desk-co"  # the vendor of VALID_PLAN, "Desk Co", as a slug
TRIAL = "pilot-desk"
Emitted = Callable[[], list[Event]]


@pytest.fixture(autouse=True)
def emitted(prefect_api: None) -> Iterator[Emitted]:
    """The Prefect events the receiver emits in this test, in order."""
    EventsWorker.set_client_override(AssertingPassthroughEventsClient)

    def events() -> list[Event]:
        EventsWorker.instance().wait_until_empty()
        client = AssertingPassthroughEventsClient.last
        return list(getattr(client, "events", []))

    try:
        yield events
    finally:
        EventsWorker.drain_all()
        EventsWorker.set_client_override(None)
        AssertingPassthroughEventsClient.reset()


@pytest.fixture
def hook_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The test's settings, with the shared webhook secret, and VALID_PLAN's trial stored:
    the receiver records deliveries only from a stored trial's vendor."""
    store_plan(settings, tmp_path)
    return settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})


def store_plan(settings: Settings, folder: Path, text: str = VALID_PLAN) -> None:
    """Store a plan's trial, and its vendor, as `trials create` does."""
    path = folder / f"plan-{uuid.uuid4().hex[:8]}.yaml"
    path.write_text(text, encoding="utf-8")
    with write_session(settings) as session:
        create_trial(
            session=session, plan=require_valid(load_plan(path, settings.policy)), actor="t"
        )


@pytest.fixture
def receiver(hook_settings: Settings) -> Iterator[httpx.Client]:
    """A client for the receiver, served by uvicorn on a free port."""
    with serving(create_app(hook_settings)) as url, httpx.Client(base_url=url) as client:
        yield client


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve the app over a real socket in a background thread; yield its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def event_body(**changes: Any) -> bytes:
    """A WebhookEvent body as a vendor sends it, with fields changed or added."""
    event: dict[str, Any] = {
        "type": "deliverable.submitted",
        "trial": TRIAL,
        "subject": "dlv-42",
        "occurred_at": "2026-11-27T08:00:00+00:00",
        "data": {"work_item_id": "wi-7", "name": "runbook.pdf"},
    }
    event.update(changes)
    return json.dumps(event).encode()


def signed(
    body: bytes,
    *,
    webhook_id: str | None = None,
    at: datetime | None = None,
    secret: str = SECRET,
) -> dict[str, str]:
    """Standard Webhooks headers for the body, signed with the secret at the given time."""
    webhook_id = webhook_id or f"msg_{uuid.uuid4().hex}"
    at = at or datetime.now(UTC)
    signature = Webhook(secret).sign(webhook_id, at, body.decode())
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


def read_back(name: str, webhook_id: str, timeout: float = 15) -> list[Event]:
    """The events the Prefect server stored with this name, trial and id, once it has them."""
    query = EventFilter(
        event=EventNameFilter(name=[name]),
        resource=EventResourceFilter(id=[f"trials.trial.{TRIAL}"]),
        id=EventIDFilter(id=[event_id(webhook_id)]),
    )
    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        while True:
            # Prefect 3.9.1's client asks for 100 by default; its server allows at most 50.
            events = client.read_events(filter=query, limit=10).events
            if events or time.monotonic() > deadline:
                return list(events)
            time.sleep(0.2)
