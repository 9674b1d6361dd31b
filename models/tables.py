"""The state store's tables (SQLModel). Money is Decimal with a currency, never a float."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import DateTime, Dialect, Numeric, String, Text, TypeDecorator, UniqueConstraint
from sqlalchemy.types import TypeEngine
from sqlmodel import Field, SQLModel

from models.phases import Phase


def utcnow() -> datetime:
    """Now, in UTC, as every timestamp in the store is."""
    return datetime.now(UTC)


MAX_DIGITS = 24  # under the 28 digits of Python's decimal context, so quantize cannot fail


class ExactDecimal(TypeDecorator[Decimal]):
    """A Decimal kept exactly, and read back as written, on both databases: NUMERIC
    without a fixed scale on PostgreSQL, its text on SQLite (whose NUMERIC goes through a
    float: 20.125 came back as 20.12).

    A value finer than `scale` places is rounded half up to it before it is written,
    so both databases keep the same number; 12.345 stays 12.345, not 12.3450.
    """

    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__(asdecimal=True)
        self.scale = scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(40))
        return dialect.type_descriptor(Numeric(asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        exact = Decimal(value)
        exponent = exact.as_tuple().exponent
        if isinstance(exponent, int) and exact.adjusted() < MAX_DIGITS:  # finite, not huge
            if exponent > 0:  # 1E+3 written for 1000
                exact = exact.quantize(Decimal(1))
            elif exponent < -self.scale:
                exact = exact.quantize(Decimal(1).scaleb(-self.scale), ROUND_HALF_UP)
        return str(exact) if dialect.name == "sqlite" else exact

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


def _money(**kwargs: Any) -> Any:
    # Four places hold every ISO 4217 minor unit (CLF and UYW have 4; models.money).
    return Field(sa_type=ExactDecimal(4), **kwargs)


def _decimal(scale: int, **kwargs: Any) -> Any:
    return Field(sa_type=ExactDecimal(scale), **kwargs)


def _when(**kwargs: Any) -> Any:
    return Field(sa_type=DateTime(timezone=True), **kwargs)


class Vendor(SQLModel, table=True):
    """A vendor, shared by all the trials it takes part in."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    base_url: str = Field(max_length=500)
    token_ref: str = Field(max_length=200)  # "secret:NAME" or "env:VAR", never the token
    adapter: str = Field(default="work-api", max_length=100)  # adapters.registry's name
    created_at: datetime = _when(default_factory=utcnow)


class Trial(SQLModel, table=True):
    """One vendor trial and the phase it is in."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=63, unique=True)
    title: str = Field(max_length=500)
    vendor_id: int = Field(foreign_key="vendor.id", index=True)
    phase: str = Field(default=Phase.DRAFT, max_length=20, index=True)
    version: int = Field(default=1)  # bumped by every phase change; guards races
    engagement: int = Field(default=1)  # 1 for the pilot, 2 for the expansion
    currency: str = Field(max_length=3)
    budget_estimate: Decimal = _money()
    budget_contingency: Decimal = _decimal(4)
    budget_cap: Decimal = _money()
    plan_json: str = Field(sa_type=Text)
    plan_sha256: str = Field(max_length=64)
    waiting_for: str | None = Field(default=None, max_length=200)  # e.g. "vendor: rung-2"
    waiting_since: datetime | None = _when(default=None)
    # When the monitor last started a run for the trial: its news is what came after.
    carried_on_at: datetime | None = _when(default=None)
    created_at: datetime = _when(default_factory=utcnow)
    updated_at: datetime = _when(default_factory=utcnow)


class EngagementBudget(SQLModel, table=True):
    """An engagement's budget as it stood when the next engagement opened, a cap raised
    during it included; the trial's own columns hold the current engagement's."""

    __tablename__ = "engagement_budget"
    __table_args__ = (UniqueConstraint("trial_id", "engagement"),)

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id")
    engagement: int
    estimate: Decimal = _money()
    contingency: Decimal = _decimal(4)
    cap: Decimal = _money()
    closed_at: datetime = _when(default_factory=utcnow)


class PilotTask(SQLModel, table=True):
    """A rung of the ladder, and the vendor's work item for it."""

    __tablename__ = "pilot_task"
    __table_args__ = (UniqueConstraint("trial_id", "engagement", "rung_key"),)

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    engagement: int
    position: int
    rung_key: str = Field(max_length=63)
    title: str = Field(max_length=500)
    hours: Decimal = _decimal(2)
    estimate: Decimal = _money()
    currency: str = Field(max_length=3)
    due_in_days: int
    status: str = Field(default="planned", max_length=20)
    vendor_ref: str | None = Field(default=None, max_length=200)
    idempotency_key: str = Field(max_length=200, unique=True)
    submitted_at: datetime | None = _when(default=None)
    completed_at: datetime | None = _when(default=None)  # on the vendor's clock
    # When the engine recorded the delivery, on its own clock: what the client's
    # directives (dated on that clock) are compared with.
    recorded_at: datetime | None = _when(default=None)


class Expectation(SQLModel, table=True):
    """A measurable expectation of the trial, copied from the plan."""

    __table_args__ = (UniqueConstraint("trial_id", "engagement", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    engagement: int
    key: str = Field(max_length=63)
    metric: str = Field(max_length=63)
    comparator: str = Field(max_length=2)
    target: Decimal = _decimal(4)
    unit: str = Field(max_length=100)
    source: str = Field(max_length=20)
    holds_from: str | None = Field(default=None, max_length=63)
    holds_by: date | None = None
    weight: Decimal = _decimal(2)


class Measurement(SQLModel, table=True):
    """A measured value of an expectation, at a rung."""

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    expectation_id: int = Field(foreign_key="expectation.id", index=True)
    pilot_task_id: int | None = Field(default=None, foreign_key="pilot_task.id")
    value: Decimal = _decimal(4)
    source: str = Field(max_length=20)  # where this value came from (models.evidence)
    produced_by: str = Field(default="", max_length=200)  # the vendor, reviewer or archive
    evidence_json: str = Field(default="{}", sa_type=Text)  # models.evidence.Evidence
    idempotency_key: str = Field(max_length=200, unique=True)
    measured_at: datetime = _when(default_factory=utcnow)


class CostEntry(SQLModel, table=True):
    """A cost: a timesheet line, an invoice, or an adjustment."""

    __tablename__ = "cost_entry"

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    pilot_task_id: int | None = Field(default=None, foreign_key="pilot_task.id")
    kind: str = Field(max_length=20)
    role: str | None = Field(default=None, max_length=63)
    hours: Decimal | None = _decimal(2, default=None)
    rate: Decimal | None = _money(default=None)
    amount: Decimal = _money()
    currency: str = Field(max_length=3)
    description: str = Field(default="", max_length=500)
    vendor_ref: str | None = Field(default=None, max_length=200)
    incurred_on: date
    idempotency_key: str = Field(max_length=200, unique=True)
    recorded_at: datetime = _when(default_factory=utcnow)


class Directive(SQLModel, table=True):
    """An instruction the client gave the vendor, and whose area it entered."""

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    engagement: int = Field(default=1)  # the trial's engagement when it was given
    text: str = Field(sa_type=Text)
    area: str = Field(max_length=200)
    classification: str = Field(max_length=20)
    issued_by: str = Field(max_length=200)
    issued_at: datetime = _when(default_factory=utcnow)
    vendor_ref: str | None = Field(default=None, max_length=200)
    vendor_answer: str | None = Field(default=None, sa_type=Text)
    answered_at: datetime | None = _when(default=None)
    idempotency_key: str = Field(max_length=200, unique=True)
    # Why the client entered the vendor's area: required of an override, empty otherwise.
    justification: str = Field(default="", sa_type=Text)
    outcome: str | None = Field(default=None, max_length=20)  # accepted, pushed_back


class Decision(SQLModel, table=True):
    """A decision at a gate: who, when, why, and on what evidence."""

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    gate: str = Field(max_length=40)
    choice: str = Field(max_length=20)
    recommendation: str | None = Field(default=None, max_length=20)
    reason: str = Field(sa_type=Text)
    decided_by: str = Field(max_length=200)
    decided_at: datetime = _when(default_factory=utcnow)
    evidence_json: str = Field(default="{}", sa_type=Text)
    # The value the decision sets, typed: a raised cap (in the trial's currency) or a
    # reviewed value (in the expectation's unit); None for a plain choice.
    value: Decimal | None = _decimal(4, default=None)


class ExitStep(SQLModel, table=True):
    """A step of the exit plan; access revocations get one step per grant."""

    __tablename__ = "exit_step"

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    kind: str = Field(max_length=30)
    position: int
    target: str | None = Field(default=None, max_length=200)  # e.g. the grant to revoke
    status: str = Field(default="pending", max_length=20)
    detail: str = Field(default="", sa_type=Text)
    idempotency_key: str = Field(max_length=200, unique=True)
    updated_at: datetime = _when(default_factory=utcnow)
    completed_at: datetime | None = _when(default=None)


class AuditEntry(SQLModel, table=True):
    """One state change: who, when, from -> to, why. Append-only (a trigger refuses edits)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int | None = Field(default=None, foreign_key="trial.id", index=True)
    at: datetime = _when(default_factory=utcnow)
    actor: str = Field(max_length=200)
    action: str = Field(max_length=40)
    from_phase: str | None = Field(default=None, max_length=20)
    to_phase: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="", sa_type=Text)


class WebhookEvent(SQLModel, table=True):
    """A signed vendor webhook, recorded once per webhook-id exactly as it arrived."""

    __tablename__ = "webhook_event"

    id: int | None = Field(default=None, primary_key=True)
    webhook_id: str = Field(max_length=200, unique=True)
    vendor: str = Field(max_length=200)
    type: str = Field(max_length=40)
    trial: str = Field(max_length=200, index=True)
    subject: str = Field(max_length=200)
    body_sha256: str = Field(max_length=64)
    payload: str = Field(sa_type=Text)  # the signed body, byte for byte as text
    occurred_at: datetime = _when()
    received_at: datetime = _when(default_factory=utcnow)
    # Set once its Prefect event is handed to Prefect; a delivery recorded without it
    # (the receiver stopped in between) is emitted when the vendor sends it again.
    emitted_at: datetime | None = _when(default=None)


class VendorEffect(SQLModel, table=True):
    """A side effect at the vendor: the intent, written before the call, then its outcome."""

    __tablename__ = "vendor_effect"

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    key: str = Field(max_length=200, unique=True)  # the Idempotency-Key sent, every attempt
    kind: str = Field(max_length=30)
    request_json: str = Field(sa_type=Text)
    status: str = Field(default="intent", max_length=20)  # intent -> done
    vendor_ref: str | None = Field(default=None, max_length=200)
    response_json: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = _when(default_factory=utcnow)
    completed_at: datetime | None = _when(default=None)


class StoredFile(SQLModel, table=True):
    """A file fetched from the vendor and archived: a deliverable, a KT document, an export."""

    __tablename__ = "stored_file"
    __table_args__ = (UniqueConstraint("trial_id", "kind", "vendor_ref"),)

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    pilot_task_id: int | None = Field(default=None, foreign_key="pilot_task.id")
    kind: str = Field(max_length=30)  # deliverable, kt_document, data_export
    vendor_ref: str = Field(max_length=200)
    name: str = Field(max_length=500)
    size: int
    sha256: str = Field(max_length=64)
    path: str = Field(max_length=1000)  # relative to the data directory
    fetched_at: datetime = _when(default_factory=utcnow)


class RaisedEscalation(SQLModel, table=True):
    """A concern the monitor raised about a trial: once per key, announced once."""

    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("trial_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    key: str = Field(max_length=120)  # e.g. overdue:e1:rung-2
    concern: str = Field(max_length=20)
    message: str = Field(sa_type=Text)
    raised_at: datetime = _when(default_factory=utcnow)
    # Set once its Prefect event is handed to Prefect; the next monitor run emits the rest.
    emitted_at: datetime | None = _when(default=None)


class BudgetAlert(SQLModel, table=True):
    """A budget threshold the trial's spend crossed: recorded once per key, announced once."""

    __tablename__ = "budget_alert"
    __table_args__ = (UniqueConstraint("trial_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    key: str = Field(max_length=120)  # e.g. e1:estimate:80
    threshold: Decimal = _money()  # the amount crossed
    spent: Decimal = _money()  # the spend that crossed it
    currency: str = Field(max_length=3)
    message: str = Field(sa_type=Text)
    crossed_at: datetime = _when(default_factory=utcnow)
    # Set once its Prefect event is handed to Prefect; the next run emits the rest.
    emitted_at: datetime | None = _when(default=None)


class ExitRehearsal(SQLModel, table=True):
    """A rehearsal of the exit, done without exiting: its checks and readiness score."""

    __tablename__ = "exit_rehearsal"

    id: int | None = Field(default=None, primary_key=True)
    trial_id: int = Field(foreign_key="trial.id", index=True)
    score: Decimal = _decimal(4)  # 0..1, the share of checks passed
    checks_json: str = Field(sa_type=Text)  # [{"check", "target", "passed", "detail"}]
    rehearsed_at: datetime = _when(default_factory=utcnow)


class Bakeoff(SQLModel, table=True):
    """A bake-off: vendors' trials on one shared ladder, and the vendor selected among them."""

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=63, unique=True)
    title: str = Field(max_length=500)
    currency: str = Field(max_length=3)
    plan_sha256: str = Field(max_length=64)  # of the bake-off's vendors' plans, in order
    # The selection: a vendor id of the bake-off, or "none"; set once.
    selected: str | None = Field(default=None, max_length=63)
    selected_by: str | None = Field(default=None, max_length=200)
    selected_reason: str | None = Field(default=None, sa_type=Text)
    selected_at: datetime | None = _when(default=None)
    created_at: datetime = _when(default_factory=utcnow)


class BakeoffTrial(SQLModel, table=True):
    """A vendor's trial in a bake-off: an ordinary trial, linked by its vendor's id."""

    __tablename__ = "bakeoff_trial"
    __table_args__ = (UniqueConstraint("bakeoff_id", "vendor_key"),)

    id: int | None = Field(default=None, primary_key=True)
    bakeoff_id: int = Field(foreign_key="bakeoff.id", index=True)
    trial_id: int = Field(foreign_key="trial.id", unique=True)
    vendor_key: str = Field(max_length=63)  # the vendor's id in the bake-off plan
    position: int  # the vendor's place in the plan's list
