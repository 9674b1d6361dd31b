"""The Vendor Work API contract: what the engine sends and what it expects back.

The client validates every answer against these models; the simulator answers with
them; the OpenAPI document in `adapters/openapi.json` is generated from the simulator's
routes over these models, and a contract test drives the simulator from that document.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from models.money import minor_unit

Text = Annotated[str, Field(min_length=1, max_length=2000)]
Ref = Annotated[str, Field(min_length=1, max_length=200)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

T = TypeVar("T")


class Model(BaseModel):
    """A contract message: extra fields from a newer vendor are tolerated and ignored."""

    model_config = ConfigDict(extra="ignore")


class Page(Model, Generic[T]):
    """A list answer."""

    items: list[T]


class Problem(Model):
    """An error, as RFC 9457 problem+json."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


class Health(Model):
    """The API is up."""

    status: str
    time: datetime


class WhoAmI(Model):
    """Who the token belongs to, and what it may do."""

    vendor: str
    client: str
    scopes: list[str]


class ExpectationTerms(Model):
    """One expectation as sent for the vendor's acknowledgement."""

    id: Ref
    metric: Ref
    comparator: str
    target: Decimal
    unit: Ref
    area: str | None = None  # the authority area the outcome depends on, if the plan says


class AckRequest(Model):
    """The expectations the vendor is asked to acknowledge."""

    expectations: list[ExpectationTerms]


class Ack(Model):
    """The vendor's acknowledgement."""

    trial: Ref
    acknowledged: list[str]
    acknowledged_at: datetime


class WorkStatus(StrEnum):
    """Where a work item stands at the vendor."""

    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DELIVERED = "delivered"
    REJECTED = "rejected"


def _iso_4217(code: str) -> str:
    minor_unit(code)  # raises CurrencyError, a ValueError: a 422 naming the code
    return code


class WorkItemCreate(Model):
    """A pilot rung handed to the vendor, with the hours and rates agreed for it."""

    client_ref: Ref
    trial: Ref
    title: Text
    hours: dict[str, Decimal]  # by role
    rates: dict[str, Decimal]  # hourly, by role, in `currency`
    currency: Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_iso_4217)]
    due_in_days: int = Field(gt=0)
    description: str | None = None


class WorkItem(Model):
    """A work item as the vendor tracks it."""

    id: Ref
    client_ref: Ref
    trial: Ref
    title: str
    status: WorkStatus
    created_at: datetime
    due_at: datetime
    delivered_at: datetime | None = None


class Deliverable(Model):
    """A file the vendor delivered for a work item."""

    id: Ref
    work_item_id: Ref
    name: str
    size: int = Field(ge=0)
    sha256: Sha256
    media_type: str
    submitted_at: datetime


class Metric(Model):
    """A measured value of one metric."""

    metric: Ref
    value: Decimal
    unit: str
    measured_at: datetime
    work_item_id: str | None = None


class TimesheetLine(Model):
    """Hours booked by role against a work item."""

    id: Ref
    work_item_id: Ref
    role: Ref
    hours: Decimal
    rate: Decimal
    amount: Decimal
    currency: str
    worked_on: date


class Invoice(Model):
    """An invoice issued by the vendor."""

    id: Ref
    number: Ref
    trial: Ref
    amount: Decimal
    currency: str
    issued_at: datetime
    timesheet_line_ids: list[str]


class AccessGrant(Model):
    """Access the vendor holds to a client system."""

    id: Ref
    system: str
    principal: str
    scope: str
    granted_at: datetime
    revoked_at: datetime | None = None


class ExportStatus(StrEnum):
    """Where a data export stands."""

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"


class ExportRequest(Model):
    """Ask for the client's data back."""

    client_ref: Ref
    format: str = "zip"


class DataExport(Model):
    """A data export, its checksum once ready."""

    id: Ref
    client_ref: Ref
    trial: Ref
    status: ExportStatus
    requested_at: datetime
    size: int | None = None
    sha256: Sha256 | None = None


class ExportCheck(Model):
    """A dry run of an export request: the vendor would accept it; nothing was prepared."""

    trial: Ref
    client_ref: Ref
    format: str
    checked_at: datetime  # the vendor's time of the dry run
    ready_by: datetime  # when the export would be ready, were it requested then


class KnowledgeDocument(Model):
    """A knowledge-transfer document."""

    id: Ref
    trial: Ref
    title: str
    size: int = Field(ge=0)
    sha256: Sha256


class DirectiveCreate(Model):
    """An instruction from the client; an override of the vendor's area says why."""

    client_ref: Ref
    text: Text
    area: Ref
    justification: str | None = Field(default=None, max_length=2000)


class DirectiveOutcome(StrEnum):
    """The vendor's answer to a directive, in one word."""

    ACCEPTED = "accepted"
    PUSHED_BACK = "pushed_back"


class Directive(Model):
    """An instruction and the vendor's answer to it: accepted, or pushed back with a reason."""

    id: Ref
    client_ref: Ref
    trial: Ref
    text: str
    area: str
    status: str  # open, answered
    answer: str | None = None  # the vendor's words; the reason, when it pushes back
    outcome: DirectiveOutcome | None = None  # None while open
    answered_at: datetime | None = None


class WebhookEventType(StrEnum):
    """What the vendor tells the engine about, unasked."""

    WORK_ITEM_UPDATED = "work_item.updated"
    DELIVERABLE_SUBMITTED = "deliverable.submitted"
    INVOICE_ISSUED = "invoice.issued"
    DIRECTIVE_ANSWERED = "directive.answered"


class WebhookEvent(Model):
    """The body of a signed webhook delivery."""

    type: WebhookEventType
    trial: Ref
    subject: Ref  # the id of the work item, deliverable, invoice or directive
    occurred_at: datetime
    data: dict[str, object] = {}
