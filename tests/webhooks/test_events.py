"""A delivery's Prefect event: read back from the server, and never at the record's cost."""

from __future__ import annotations

import logging

import httpx
import pytest
from prefect.events.clients import NullEventsClient
from prefect.events.worker import EventsWorker
from prefect.settings import PREFECT_SERVER_EVENTS_MAXIMUM_SIZE_BYTES, temporary_settings
from sqlmodel import select

from adapters.contract import WebhookEvent as WebhookBody
from config import Settings
from models.tables import WebhookEvent
from store.db import read_session
from tests.webhooks.conftest import TRIAL, VENDOR, Emitted, event_body, read_back, signed
from webhooks.events import announce

URL = f"/webhooks/{VENDOR}"


def test_the_event_reaches_the_prefect_server(receiver: httpx.Client, emitted: Emitted) -> None:
    body = event_body(type="work_item.updated", subject="wi-7", data={"status": "delivered"})
    for _ in range(2):  # the second is a duplicate and must not add an event
        receiver.post(URL, content=body, headers=signed(body, webhook_id="msg_server"))
    assert len(emitted()) == 1  # sent by now

    [event] = read_back("trials.vendor.work_item.updated", "msg_server")

    assert event.resource.id == f"trials.trial.{TRIAL}"
    assert event.resource.name == TRIAL
    assert event.resource_in_role["vendor"].id == f"trials.vendor.{VENDOR}"
    assert event.resource_in_role["work_item"].id == f"trials.vendor.{VENDOR}.work_item.wi-7"
    assert event.payload["webhook_id"] == "msg_server"
    assert event.payload["data"] == {"status": "delivered"}


def test_a_refused_emission_keeps_the_record_and_warns(
    receiver: httpx.Client, hook_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    EventsWorker.set_client_override(NullEventsClient)  # Prefect takes no events
    body = event_body()
    with caplog.at_level(logging.WARNING, logger="webhooks.events"):
        response = receiver.post(URL, content=body, headers=signed(body, webhook_id="msg_lost"))

    assert response.status_code == 202
    with read_session(hook_settings) as session:
        assert session.exec(select(WebhookEvent.webhook_id)).all() == ["msg_lost"]
    assert "msg_lost is recorded but Prefect emits no events" in caplog.text


def test_an_emission_that_raises_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    event = WebhookBody.model_validate_json(event_body())
    with (
        temporary_settings(updates={PREFECT_SERVER_EVENTS_MAXIMUM_SIZE_BYTES: 100}),
        caplog.at_level(logging.WARNING, logger="webhooks.events"),
    ):
        assert announce(vendor=VENDOR, webhook_id="msg_big", event=event) is False

    assert "msg_big is recorded but its Prefect event" in caplog.text
    assert "EventTooLarge" in caplog.text
