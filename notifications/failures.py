"""The notifications Prefect's automation service could not send, read from the events it
emits when one of the automations `trials deploy` made fails to send."""

from __future__ import annotations

from datetime import timedelta

from prefect import get_client
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventOrder,
    EventResourceFilter,
)
from prefect.events.schemas.events import ResourceSpecification

from models.notify import Unsent
from models.tables import utcnow
from notifications.automations import EVERY_TRIAL, PREFIX, RUN_FAILED_SUFFIX

ACTION_FAILED = "prefect.automation.action.failed"  # Prefect's own
LIMIT = 50  # the newest failures shown; an older one is as fixed as these are


async def unsent_notifications(slugs: list[str], days: int) -> list[Unsent]:
    """The newest notifications of the last `days` days that the automations about these
    trials, and those about every trial, could not send."""
    names = [
        name
        for scope in [*slugs, EVERY_TRIAL]
        for name in (f"{PREFIX}{scope}", f"{PREFIX}{scope}{RUN_FAILED_SUFFIX}")
    ]
    now = utcnow()
    query = EventFilter(
        event=EventNameFilter(name=[ACTION_FAILED]),
        resource=EventResourceFilter(
            labels=ResourceSpecification({"prefect.resource.name": names})
        ),
        occurred=EventOccurredFilter(
            since=now - timedelta(days=days), until=now + timedelta(minutes=1)
        ),
        order=EventOrder.DESC,
    )
    async with get_client() as client:
        page = await client.read_events(filter=query, limit=LIMIT)
    return [
        Unsent(
            at=event.occurred,
            automation=event.resource.name or event.resource.id,
            reason=str(event.payload.get("reason") or "no reason given"),
            log=str(event.payload.get("notification_log") or "").strip() or None,
        )
        for event in page.events
    ]
