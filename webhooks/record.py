"""Record an accepted delivery exactly once, keyed by its webhook-id."""

from __future__ import annotations

import hashlib
from datetime import datetime
from enum import StrEnum

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from adapters.contract import WebhookEvent as WebhookBody
from config import Settings
from models.names import readable_slug
from models.tables import Trial, Vendor, WebhookEvent, utcnow
from store.db import read_session, write_session
from webhooks.body import occurred_utc
from webhooks.directives import apply_answer
from webhooks.errors import ReplayedId, UnknownTrial, UnknownVendor
from webhooks.verify import Delivery


class Outcome(StrEnum):
    """What recording a delivery did."""

    RECORDED = "recorded"
    DUPLICATE = "duplicate"
    UNANNOUNCED = "unannounced"  # a duplicate whose Prefect event was never emitted

    @property
    def to_announce(self) -> bool:
        """Whether the delivery's Prefect event is still to be emitted."""
        return self is not Outcome.DUPLICATE


def mark_announced(*, settings: Settings, webhook_id: str) -> None:
    """Record that the delivery's Prefect event was handed to Prefect."""
    with write_session(settings) as session:
        row = session.exec(select(WebhookEvent).where(WebhookEvent.webhook_id == webhook_id)).one()
        if row.emitted_at is None:
            row.emitted_at = utcnow()
            session.add(row)


def record_delivery(
    *, settings: Settings, vendor: str, delivery: Delivery, event: WebhookBody
) -> Outcome:
    """Insert the delivery once; its id again is a duplicate with the same body, else a replay.

    `vendor` is the path's vendor: the stored vendor's name as a slug (models.names), as
    `trials show` prints it. Raises UnknownVendor (404) when no stored vendor has it, and
    UnknownTrial (422) when the event's trial is not that vendor's; neither is recorded.
    Raises ReplayedId (409) for a webhook-id recorded with another body or vendor.
    """
    row = _row(vendor=vendor, delivery=delivery, event=event)
    try:
        with write_session(settings) as session:
            _check_sender(session=session, vendor=vendor, trial=event.trial)
            seen = _seen(session=session, webhook_id=row.webhook_id)
            if seen is None:
                session.add(row)
                apply_answer(session=session, event=event)  # recorded and applied together
    except IntegrityError:
        # PostgreSQL only: a concurrent delivery of the same id committed between our
        # read and our insert (SQLite's write session holds the lock from its start).
        with read_session(settings) as session:
            seen = _seen(session=session, webhook_id=row.webhook_id)
        if seen is None:
            raise
    if seen is None:
        return Outcome.RECORDED
    vendor, body_sha256, emitted_at = seen
    if (vendor, body_sha256) == (row.vendor, row.body_sha256):
        return Outcome.DUPLICATE if emitted_at is not None else Outcome.UNANNOUNCED
    raise ReplayedId(
        f"webhook-id {row.webhook_id!r} was recorded {_how_differs(seen, row)}. A webhook-id "
        "names one message: retry it with the same body, or send a new message with a new id."
    )


def _row(*, vendor: str, delivery: Delivery, event: WebhookBody) -> WebhookEvent:
    return WebhookEvent(
        webhook_id=delivery.webhook_id,
        vendor=vendor,
        type=event.type.value,
        trial=event.trial,
        subject=event.subject,
        body_sha256=hashlib.sha256(delivery.body.encode("utf-8")).hexdigest(),
        payload=delivery.body,
        occurred_at=occurred_utc(event),
        received_at=utcnow(),
    )


def _check_sender(*, session: Session, vendor: str, trial: str) -> None:
    vendors = {
        readable_slug(name): vendor_id
        for vendor_id, name in session.exec(select(Vendor.id, Vendor.name))
    }
    if vendor not in vendors:
        raise UnknownVendor(
            f"No stored trial has the vendor {vendor!r}, so the delivery is not recorded. "
            "Send it to /webhooks/<vendor>, the vendor's name as `trials show` prints it "
            "beside 'webhooks', or create the trial first."
        )
    owner = session.exec(select(Trial.vendor_id).where(Trial.slug == trial)).first()
    if owner != vendors[vendor]:
        raise UnknownTrial(
            f"The event names the trial {trial!r}, which is not a trial of the vendor {vendor!r}, "
            "so the delivery is not recorded. Send each trial's events with its own slug, "
            "to the vendor that runs it."
        )


def _seen(*, session: Session, webhook_id: str) -> tuple[str, str, datetime | None] | None:
    found = session.exec(
        select(WebhookEvent.vendor, WebhookEvent.body_sha256, WebhookEvent.emitted_at).where(
            WebhookEvent.webhook_id == webhook_id
        )
    ).first()
    return None if found is None else (found[0], found[1], found[2])


def _how_differs(seen: tuple[str, str, datetime | None], row: WebhookEvent) -> str:
    if seen[0] != row.vendor:
        return "for another vendor"
    return "with a different body"
