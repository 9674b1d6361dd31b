"""Check a delivery's Standard Webhooks headers, timestamp and signature before reading it."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from webhooks.errors import BadSignature, MalformedDelivery, NotConfigured, StaleTimestamp

# standardwebhooks fixes its window at 5 minutes and cannot be configured; the same window
# is checked here first so that a stale delivery is told why, not just "bad signature".
TOLERANCE = timedelta(minutes=5)
MAX_ID_LENGTH = 200  # webhook_event.webhook_id
HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")
SECRET_PREFIX = "whsec_"
# The Standard Webhooks spec: a secret is 24 to 64 random bytes, sent as whsec_<base64>.
KEY_BYTES = (24, 64)


@dataclass(frozen=True)
class Delivery:
    """A delivery whose signature holds: its id, when it was signed, and its body."""

    webhook_id: str
    signed_at: datetime
    body: str


def verifier(secret: SecretStr | None) -> Webhook:
    """The Standard Webhooks verifier for the configured secret."""
    if secret is None:
        raise NotConfigured(
            "No webhook secret is configured, so no delivery can be checked. Set "
            "TRIALS_WEBHOOK_SECRET to the whsec_... secret shared with the vendors and restart "
            "the receiver."
        )
    value = secret.get_secret_value()
    encoded = value.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except ValueError:  # binascii.Error is a ValueError
        key = b""
    if not value.startswith(SECRET_PREFIX) or not KEY_BYTES[0] <= len(key) <= KEY_BYTES[1]:
        raise NotConfigured(
            "TRIALS_WEBHOOK_SECRET is not a Standard Webhooks secret: expected whsec_ followed "
            f"by the base64 of {KEY_BYTES[0]} to {KEY_BYTES[1]} random bytes (found "
            f"{_described(value, key)}). Set it to the secret shared with the vendors and "
            "restart the receiver."
        )
    return Webhook(key)


def _described(value: str, key: bytes) -> str:
    """What is wrong with a secret, without showing it."""
    if not value.startswith(SECRET_PREFIX):
        return "no whsec_ prefix"
    return f"{len(key)} bytes" if key else "text that is not base64"


def verify(*, webhook: Webhook, body: str, headers: Mapping[str, str]) -> Delivery:
    """The delivery, when its headers are all there, its timestamp fresh and its signature right."""
    missing = [name for name in HEADERS if not headers.get(name)]
    if missing:
        raise BadSignature(
            f"Missing header(s) {', '.join(missing)}. Sign every delivery per Standard Webhooks."
        )
    signed_at = _fresh(headers["webhook-timestamp"])
    if not any(_signed(webhook, body, headers, listed) for listed in _listed(headers)):
        raise BadSignature(
            "No v1 signature in webhook-signature matches HMAC-SHA256 over "
            "'webhook-id.webhook-timestamp.body' with the shared secret. Check the secret, and "
            "sign the exact bytes sent."
        )
    webhook_id = headers["webhook-id"]
    if len(webhook_id) > MAX_ID_LENGTH:
        raise MalformedDelivery(f"webhook-id is longer than {MAX_ID_LENGTH} characters.")
    return Delivery(webhook_id=webhook_id, signed_at=signed_at, body=body)


def _listed(headers: Mapping[str, str]) -> list[str]:
    """The signatures webhook-signature lists, space-delimited, each `version,base64`."""
    return [entry for entry in headers["webhook-signature"].split(" ") if entry]


def _signed(webhook: Webhook, body: str, headers: Mapping[str, str], signature: str) -> bool:
    """Whether this one listed signature is the secret's over the delivery.

    The spec has a receiver try every listed signature (a sender rotating its secret lists
    the old and the new): standardwebhooks stops at the first entry it cannot decode, so
    each entry is checked on its own, with the library's constant-time comparison.
    """
    one = {"webhook-id": headers["webhook-id"], "webhook-timestamp": headers["webhook-timestamp"]}
    try:
        webhook.verify(body, one | {"webhook-signature": signature}, json_parse=False)
    except (WebhookVerificationError, ValueError):  # ValueError: an entry that is not base64
        return False
    return True


def _fresh(timestamp: str) -> datetime:
    try:
        signed_at = datetime.fromtimestamp(float(timestamp), UTC)
    except (ValueError, OverflowError, OSError):
        raise BadSignature(
            f"webhook-timestamp {timestamp[:40]!r} is not seconds since the Unix epoch."
        ) from None
    skew = (datetime.now(UTC) - signed_at).total_seconds()
    if abs(skew) > TOLERANCE.total_seconds():
        when = f"{skew:.0f} s old" if skew > 0 else f"{-skew:.0f} s in the future"
        raise StaleTimestamp(
            f"webhook-timestamp is {when} by the receiver's clock; deliveries more than "
            f"{TOLERANCE.total_seconds():.0f} s off are refused so that a captured one cannot "
            "be replayed. Sign each attempt afresh, and check the sender's clock."
        )
    return signed_at
