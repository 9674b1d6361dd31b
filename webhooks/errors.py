"""Why the receiver refuses a delivery: one class per answer a vendor acts on differently."""

from __future__ import annotations

from typing import ClassVar

from models.errors import TrialsError


class WebhookError(TrialsError):
    """A delivery the receiver refuses; the class fixes the HTTP status and problem type."""

    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-delivery"
    title: ClassVar[str] = "The delivery cannot be read"


class NotConfigured(WebhookError):
    """The receiver has no usable secret, so it cannot check any delivery."""

    status = 503
    slug = "not-configured"
    title = "The webhook receiver is not configured"


class BadSignature(WebhookError):
    """The signature headers are missing or garbled, or no signature matches."""

    status = 401
    slug = "bad-signature"
    title = "The webhook signature does not verify"


class StaleTimestamp(WebhookError):
    """The signed timestamp is outside the replay window."""

    status = 401
    slug = "stale-timestamp"
    title = "The webhook timestamp is outside the 5-minute window"


class MalformedDelivery(WebhookError):
    """The body is not UTF-8 JSON matching the webhook contract, or an id is unusable."""


class TooLarge(WebhookError):
    """The body is larger than the receiver accepts."""

    status = 413
    slug = "too-large"
    title = "The webhook body is too large"


class ReplayedId(WebhookError):
    """A webhook-id already recorded with a different body or from another vendor."""

    status = 409
    slug = "replayed-id"
    title = "The webhook-id was already used for another message"


class UnknownVendor(WebhookError):
    """The path names no vendor of any stored trial."""

    status = 404
    slug = "unknown-vendor"
    title = "No trial has this vendor"


class UnknownTrial(WebhookError):
    """The event names a trial that is not this vendor's."""

    status = 422
    slug = "unknown-trial"
    title = "The event's trial is not one of this vendor's trials"
