"""A recorded `directive.answered` webhook updates the directive it answers."""

from __future__ import annotations

from sqlmodel import Session

from adapters.contract import WebhookEvent, WebhookEventType
from models.directives import Outcome
from store.directives import record_answer
from webhooks.body import occurred_utc


def apply_answer(*, session: Session, event: WebhookEvent) -> bool:
    """Record the vendor's answer carried by a `directive.answered` event, once.

    Other events, and answers to directives the store does not know, change nothing.
    """
    if event.type is not WebhookEventType.DIRECTIVE_ANSWERED:
        return False
    data = event.data
    outcome = str(data.get("outcome") or "")
    answer = data.get("answer")
    client_ref = data.get("client_ref")
    return record_answer(
        session=session,
        vendor_ref=event.subject,
        key=client_ref if isinstance(client_ref, str) else None,
        outcome=Outcome(outcome) if outcome in set(Outcome) else None,
        answer=answer if isinstance(answer, str) else None,
        answered_at=occurred_utc(event),
    )
