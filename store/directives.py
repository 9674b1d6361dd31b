"""Directives in the store: recorded with their intent before the vendor hears of them,
then the vendor's id, then its answer (from a webhook or a poll), each written once."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from adapters.contract import Directive as VendorDirective
from models.context import VendorInfo
from models.directives import Instruction, Outcome
from models.phases import TERMINAL
from models.plan import Plan
from models.tables import Directive, Trial, Vendor
from store.effects import find_effect, record_intent, record_outcome

KIND = "directive"


class GivenDirective(BaseModel):
    """A directive as stored, detached from its session."""

    id: int
    key: str
    text: str
    area: str
    classification: str
    justification: str
    issued_by: str
    issued_at: datetime
    vendor_ref: str | None
    outcome: str | None
    answer: str | None
    answered_at: datetime | None

    @property
    def forwarded(self) -> bool:
        """Whether the vendor has it: its id at the vendor is recorded."""
        return self.vendor_ref is not None


class OpenDirective(BaseModel):
    """A forwarded directive the vendor has not answered yet, and how to ask the vendor."""

    key: str
    vendor_ref: str
    slug: str
    vendor: VendorInfo


def record_directive(
    *,
    session: Session,
    trial_id: int,
    key: str,
    instruction: Instruction,
    issued_by: str,
    request_json: str,
) -> tuple[GivenDirective, bool]:
    """The directive for `key` and whether it is new; a new one gets its intent row too,
    and the trial's engagement now (the evaluation that counts it)."""
    existing = _by_key(session=session, key=key)
    if existing is not None:
        return given(existing), False
    trial = session.get(Trial, trial_id)
    assert trial is not None, f"no trial {trial_id}"
    row = Directive(
        trial_id=trial_id,
        engagement=trial.engagement,
        text=instruction.text,
        area=instruction.area,
        classification=instruction.classification,
        justification=instruction.justification,
        issued_by=issued_by,
        idempotency_key=key,
    )
    session.add(row)
    record_intent(session=session, trial_id=trial_id, key=key, kind=KIND, request_json=request_json)
    session.flush()
    return given(row), True


def intent_request(*, session: Session, key: str) -> str:
    """The body recorded for the directive's first attempt, sent again on every retry."""
    effect = find_effect(session=session, key=key)
    assert effect is not None, f"directive {key} has no intent row"
    return effect.request_json


def record_forwarded(*, session: Session, key: str, vendor_ref: str, response_json: str) -> None:
    """Record the vendor's id for the directive, and mark its intent done."""
    row = _by_key(session=session, key=key)
    assert row is not None, f"no directive {key}"
    if row.vendor_ref is None:
        row.vendor_ref = vendor_ref
        session.add(row)
    record_outcome(session=session, key=key, vendor_ref=vendor_ref, response_json=response_json)


def record_vendor_answer(*, session: Session, key: str, directive: VendorDirective) -> bool:
    """Record the answer the vendor's copy of a directive carries, once; False if it has
    none yet, or it was recorded before."""
    if directive.outcome is None or directive.answered_at is None:
        return False
    return record_answer(
        session=session,
        vendor_ref=directive.id,
        key=key,
        outcome=Outcome(directive.outcome.value),
        answer=directive.answer,
        answered_at=directive.answered_at,
    )


def record_answer(
    *,
    session: Session,
    vendor_ref: str | None,
    key: str | None,
    outcome: Outcome | None,
    answer: str | None,
    answered_at: datetime,
) -> bool:
    """Record the vendor's answer once; False if no such directive or already answered.

    The directive is found by the vendor's id, or by its key (the client reference sent),
    so an answer that arrives before the vendor's id was recorded still lands.
    """
    row = _by_key(session=session, key=key) if key else None
    if row is None and vendor_ref:
        row = session.exec(select(Directive).where(Directive.vendor_ref == vendor_ref)).first()
    if row is None or row.answered_at is not None:
        return False
    row.outcome = None if outcome is None else outcome.value
    row.vendor_answer, row.answered_at = answer, answered_at
    row.vendor_ref = row.vendor_ref or vendor_ref
    session.add(row)
    return True


def open_directives(*, session: Session) -> list[OpenDirective]:
    """Forwarded, unanswered directives of trials that are not finished, oldest first."""
    rows = session.exec(
        select(Directive, Trial, Vendor)
        .join(Trial, col(Trial.id) == col(Directive.trial_id))
        .join(Vendor, col(Vendor.id) == col(Trial.vendor_id))
        .where(
            col(Directive.vendor_ref).is_not(None),
            col(Directive.answered_at).is_(None),
            col(Trial.phase).not_in(list(TERMINAL)),
        )
        .order_by(col(Directive.id))
    ).all()
    found = []
    for directive, trial, vendor in rows:
        api = Plan.model_validate_json(trial.plan_json).vendor.api
        info = VendorInfo(
            name=vendor.name, base_url=vendor.base_url, token=api.token, adapter=api.adapter
        )
        assert directive.vendor_ref is not None
        found.append(
            OpenDirective(
                key=directive.idempotency_key,
                vendor_ref=directive.vendor_ref,
                slug=trial.slug,
                vendor=info,
            )
        )
    return found


def trial_directives(*, session: Session, trial_id: int) -> list[GivenDirective]:
    """Every directive of the trial, oldest first."""
    rows = session.exec(
        select(Directive).where(Directive.trial_id == trial_id).order_by(col(Directive.id))
    )
    return [given(row) for row in rows]


def given(row: Directive) -> GivenDirective:
    """The stored row as a plain value."""
    assert row.id is not None
    return GivenDirective(
        id=row.id,
        key=row.idempotency_key,
        text=row.text,
        area=row.area,
        classification=row.classification,
        justification=row.justification,
        issued_by=row.issued_by,
        issued_at=row.issued_at,
        vendor_ref=row.vendor_ref,
        outcome=row.outcome,
        answer=row.vendor_answer,
        answered_at=row.answered_at,
    )


def _by_key(*, session: Session, key: str | None) -> Directive | None:
    return session.exec(select(Directive).where(Directive.idempotency_key == key)).first()
