"""Announce a recorded delivery as a Prefect event, for automations and waiting flows."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from prefect.events import emit_event
from prefect.events.worker import EventsWorker

from adapters.contract import WebhookEvent as WebhookBody
from webhooks.body import occurred_utc

logger = logging.getLogger(__name__)

# Fixed, so that a webhook-id always gives the same Prefect event id, and the Prefect
# server (which stores an event id once) never holds one delivery twice.
EVENT_NAMESPACE = uuid.UUID("57920044-398a-428b-afe6-037f30725526")


def connect() -> None:
    """Start Prefect's events worker now, so that the first delivery does not wait for it.

    Without PREFECT_API_URL this starts Prefect's temporary server, which takes seconds.
    """
    EventsWorker.instance()


def event_id(webhook_id: str) -> uuid.UUID:
    """The Prefect event id for a webhook-id."""
    return uuid.uuid5(EVENT_NAMESPACE, webhook_id)


def event_name(event: WebhookBody) -> str:
    """The Prefect event name for a webhook type, e.g. trials.vendor.deliverable.submitted."""
    return f"trials.vendor.{event.type.value}"


def announce(*, vendor: str, webhook_id: str, event: WebhookBody) -> bool:
    """Emit the delivery as a Prefect event; False, with a warning logged, if Prefect refused it."""
    try:
        emitted = emit_event(**prefect_event(vendor=vendor, webhook_id=webhook_id, event=event))
    except Exception:  # the delivery is recorded already; a lost event must not undo that
        logger.warning(
            "Webhook %s is recorded but its Prefect event %s was not emitted",
            webhook_id,
            event_name(event),
            exc_info=True,
        )
        return False
    if emitted is None:
        logger.warning(
            "Webhook %s is recorded but Prefect emits no events here (no API to send them to); "
            "set PREFECT_API_URL to the Prefect server",
            webhook_id,
        )
    return emitted is not None


def prefect_event(*, vendor: str, webhook_id: str, event: WebhookBody) -> dict[str, Any]:
    """The keyword arguments of emit_event for one delivery."""
    kind = event.type.value.partition(".")[0]
    # `occurred` is left to Prefect (now): triggers and waiting flows react to when the
    # engine learned of the change; the vendor's own time travels in the payload.
    return {
        "event": event_name(event),
        "resource": {
            "prefect.resource.id": f"trials.trial.{event.trial}",
            "prefect.resource.name": event.trial,
        },
        "related": [
            {
                "prefect.resource.id": f"trials.vendor.{vendor}",
                "prefect.resource.role": "vendor",
                "prefect.resource.name": vendor,
            },
            {
                "prefect.resource.id": f"trials.vendor.{vendor}.{kind}.{event.subject}",
                "prefect.resource.role": kind,
                "prefect.resource.name": event.subject,
            },
        ],
        "payload": {
            "webhook_id": webhook_id,
            "vendor": vendor,
            "type": event.type.value,
            "trial": event.trial,
            "subject": event.subject,
            "occurred_at": occurred_utc(event).isoformat(),
            "data": event.data,
        },
        "id": event_id(webhook_id),
    }
