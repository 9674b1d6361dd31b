"""Read a delivery's body: capped in size, UTF-8, and JSON that matches the webhook contract."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from pydantic import ValidationError
from starlette.requests import Request

from adapters.contract import WebhookEvent
from webhooks.errors import MalformedDelivery, TooLarge

MAX_BODY_BYTES = 1024 * 1024  # well under Prefect's 1.5 MB event limit, payload included
SHOWN_ERRORS = 5
# Deeper than any event (the contract's is three levels with its data), shallow enough for
# every step after it: the store's JSON, and Prefect's event payload, which refuses deep ones.
MAX_DEPTH = 32


async def capped_body(request: Request) -> bytes:
    """The raw body, read until it would pass MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def body_text(body: bytes) -> str:
    """The body as text; Standard Webhooks signs text, so it must be UTF-8."""
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedDelivery(
            f"The body is not UTF-8 (byte {exc.start} is invalid). Send the event as UTF-8 JSON."
        ) from None


def parse_event(text: str) -> WebhookEvent:
    """The body as the contract's WebhookEvent, or a MalformedDelivery saying what is wrong."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedDelivery(
            f"The body is not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
        ) from None
    except RecursionError:  # nested past what Python's parser follows
        raise _too_deep() from None
    if _depth(data) > MAX_DEPTH:
        raise _too_deep()
    try:
        return WebhookEvent.model_validate(data)
    except ValidationError as exc:
        raise MalformedDelivery(
            f"The body is not a webhook event: {_summary(exc)}. See WebhookEvent in the "
            "Vendor Work API contract: type, trial, subject, occurred_at, and optional data."
        ) from None


def _too_deep() -> MalformedDelivery:
    return MalformedDelivery(
        f"The body nests objects or arrays more than {MAX_DEPTH} levels deep. A webhook "
        "is a notice of a change: send the event's fields, and leave details to the API."
    )


def _depth(value: object) -> int:
    """How deeply lists and objects nest in a parsed JSON value (a scalar is 0), without
    recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        if isinstance(item, dict | list):
            deepest = max(deepest, depth + 1)
            stack.extend((child, depth + 1) for child in children)
    return deepest


def occurred_utc(event: WebhookEvent) -> datetime:
    """When the event occurred, in UTC; a naive time, which the contract allows, is taken as UTC."""
    if event.occurred_at.tzinfo is None:
        return event.occurred_at.replace(tzinfo=UTC)
    return event.occurred_at.astimezone(UTC)


def _summary(exc: ValidationError) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    shown = "; ".join(
        f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in errors[:SHOWN_ERRORS]
    )
    more = len(errors) - SHOWN_ERRORS
    return f"{shown} (and {more} more)" if more > 0 else shown


def _too_large() -> TooLarge:
    return TooLarge(
        f"The body is larger than {MAX_BODY_BYTES} bytes. A webhook is a notice: leave files "
        "to the Vendor Work API (deliverables, documents), where the engine downloads them."
    )
