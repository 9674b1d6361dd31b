"""Side effects at the vendor: an intent row before the call, its outcome after."""

from __future__ import annotations

from sqlmodel import Session, select

from models.errors import StoreError
from models.tables import VendorEffect, utcnow


def record_intent(
    *, session: Session, trial_id: int, key: str, kind: str, request_json: str
) -> VendorEffect:
    """The effect for `key`: as recorded before (any status), or a new intent.

    The same key must always carry the same request, or a retry would not be a retry.
    """
    existing = session.exec(select(VendorEffect).where(VendorEffect.key == key)).first()
    if existing is not None:
        if existing.request_json != request_json:
            raise StoreError(
                f"Idempotency key {key} was first used with another request; "
                "the plan changed under a running trial. Abort and restart it."
            )
        return existing
    effect = VendorEffect(trial_id=trial_id, key=key, kind=kind, request_json=request_json)
    session.add(effect)
    session.flush()
    return effect


def record_outcome(*, session: Session, key: str, vendor_ref: str, response_json: str) -> None:
    """Mark the effect done with what the vendor answered."""
    effect = session.exec(select(VendorEffect).where(VendorEffect.key == key)).one()
    effect.status, effect.vendor_ref = "done", vendor_ref
    effect.response_json, effect.completed_at = response_json, utcnow()
    session.add(effect)


def find_effect(*, session: Session, key: str) -> VendorEffect | None:
    """The effect recorded for `key`, if any."""
    return session.exec(select(VendorEffect).where(VendorEffect.key == key)).first()
