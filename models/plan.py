"""The trial plan schema: what a vendor manager writes, checked field by field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BeforeValidator,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from models.calendar import BusinessCalendar
from models.measure import Measure
from models.money import Amount, CurrencyError, minor_unit
from models.notify import Notify
from models.plan_fields import Identifier, Section, Slug, Text
from models.redmine import Name, RedmineSection
from models.vagueness import vagueness_message

# The largest values, and the finest, a plan may hold: what the store's columns keep
# exactly, on SQLite and PostgreSQL alike (money Numeric(18, 4), hours Numeric(10, 2),
# targets Numeric(18, 4), weights Numeric(8, 2), shares Numeric(5, 4)), so a plan that
# validates is stored as written. Money's places are the currency's (models.checks).
MAX_MONEY = Decimal("999999999999.99")
MAX_HOURS = Decimal("99999999.99")
MAX_TARGET = Decimal("99999999999999.9999")
MAX_WEIGHT = Decimal("999999.99")
MoneyAmount = Annotated[Amount, Field(gt=0, le=MAX_MONEY)]
Hours = Annotated[Amount, Field(gt=0, le=MAX_HOURS, decimal_places=2)]
Share = Annotated[Amount, Field(ge=0, le=1, decimal_places=4)]


def _iso_currency(code: str) -> str:
    try:
        minor_unit(code)
    except CurrencyError as exc:  # the problem, and the fix as the plan's findings give it
        context = {"problem": exc.problem, "fix": exc.fix}
        raise PydanticCustomError("currency", "{problem}", context) from None
    return code


# 840 is read as a number: ISO 4217's number for USD, which the check then names.
CurrencyCode = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
    AfterValidator(_iso_currency),
]


class Comparator(StrEnum):
    """How a measured value is compared with its target."""

    LE = "<="
    LT = "<"
    GE = ">="
    GT = ">"
    EQ = "=="


class Source(StrEnum):
    """Where the measurement of an expectation comes from."""

    VENDOR_METRICS = "vendor_metrics"
    DELIVERABLES = "deliverables"
    CLIENT_REVIEW = "client_review"
    TICKETS = "tickets"  # computed by the engine from the vendor's tickets (models.ticket_metrics)


class ExitStepKind(StrEnum):
    """The steps every exit plan must contain."""

    KNOWLEDGE_TRANSFER = "knowledge_transfer"
    DATA_RETURN = "data_return"
    ACCESS_REVOCATION = "access_revocation"
    FINAL_INVOICE = "final_invoice"


class TokenRef(Section):
    """Where the vendor API token lives: a Prefect Secret block or an environment variable."""

    secret: Slug | None = None
    env: Annotated[str, StringConstraints(pattern=r"^[A-Z_][A-Z0-9_]*$")] | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> TokenRef:
        if (self.secret is None) == (self.env is None):
            raise ValueError(
                "name exactly one place for the token: {secret: BLOCK-NAME} for a Prefect "
                "Secret block, or {env: VARIABLE_NAME} for an environment variable"
            )
        return self


class VendorApi(Section):
    """How to reach the vendor's Work API."""

    base_url: AnyHttpUrl
    token: TokenRef
    adapter: Slug = "work-api"  # maps a vendor's own API onto the contract

    @field_validator("token", mode="before")
    @classmethod
    def _not_the_token_itself(cls, value: object) -> object:
        if isinstance(value, str):
            raise ValueError(
                "a plan names where the token lives, never the token itself: write "
                "token: {secret: BLOCK-NAME} or token: {env: VARIABLE_NAME}"
            )
        return value


class Vendor(Section):
    """The vendor on trial."""

    name: Text
    api: VendorApi


class Budget(Section):
    """The money: an estimate with its contingency, and a hard cap."""

    estimate: MoneyAmount
    contingency: Share
    cap: MoneyAmount


class Authority(Section):
    """Who decides what: the client owns outcomes, the vendor owns methods."""

    client_decides: Annotated[list[Text], Field(min_length=1)]
    vendor_decides: Annotated[list[Text], Field(min_length=1)]


class Expectation(Section):
    """One measurable expectation: metric, comparator, numeric target, unit, source, due."""

    id: Slug
    description: Text | None = None
    metric: Identifier
    comparator: Comparator
    target: Annotated[Amount, Field(ge=-MAX_TARGET, le=MAX_TARGET, decimal_places=4)]
    unit: Text
    source: Source
    measure: Measure | None = None  # how a deliverables value is computed (models.measure)
    # For a value measured from tickets: a target per ticket priority, e.g. {Urgent: 15}.
    targets_by_priority: dict[Name, Annotated[Amount, Field(gt=0, le=MAX_TARGET)]] | None = None
    holds_from: Slug | None = None
    holds_by: date | None = None
    weight: Annotated[Amount, Field(gt=0, le=MAX_WEIGHT, decimal_places=2)] = Decimal(1)
    # The authority area the expectation's outcome depends on, as `authority:` names it;
    # lets the evaluation see misses that follow the client's overrides in that area.
    area: Text | None = None

    @field_validator("target", mode="before")
    @classmethod
    def _numeric_target(cls, value: object) -> object:
        if isinstance(value, str):
            vague = vagueness_message(value)
            if vague:
                raise ValueError(vague)
            try:
                Decimal(value)
            except ArithmeticError:
                raise ValueError(
                    f"the target must be a number, not {value!r}: put the number in target "
                    "and the unit in unit, e.g. target: 30, unit: minutes"
                ) from None
        return value

    @field_validator("description", "metric", "unit")
    @classmethod
    def _measurable_words(cls, value: str | None) -> str | None:
        vague = vagueness_message(value or "")
        if vague:
            raise ValueError(vague)
        return value

    @model_validator(mode="after")
    def _when_it_holds(self) -> Expectation:
        if (self.holds_from is None) == (self.holds_by is None):
            raise ValueError(
                "say when the expectation must hold, with exactly one of holds_from: "
                "RUNG-ID (from that rung on) or holds_by: YYYY-MM-DD"
            )
        return self


class Rung(Section):
    """One pilot task on the ladder: small, brief, and estimated."""

    id: Slug
    title: Text
    hours: Annotated[dict[Identifier, Hours], Field(min_length=1)]
    due_in_days: Annotated[int, Field(gt=0, le=365)]

    @field_validator("hours", mode="before")
    @classmethod
    def _hours_by_role(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError(
                "hours says which rate-card roles work how many hours, "
                "e.g. hours: {engineer: 6, lead: 2}"
            )
        return value

    @model_validator(mode="after")
    def _hours_the_store_keeps(self) -> Rung:
        if self.total_hours > MAX_HOURS:
            raise ValueError(
                f"the rung's hours add up to {self.total_hours:,}, over the {MAX_HOURS:,} "
                "a rung can hold; a small project first is a few hundred hours at most"
            )
        return self

    @property
    def total_hours(self) -> Decimal:
        """All hours on the rung, whatever the role."""
        return sum(self.hours.values(), Decimal(0))


class Gates(Section):
    """When the evaluation recommends expansion, and when exit."""

    expand_at_score: Annotated[Amount, Field(gt=0, le=1)]
    exit_below_score: Annotated[Amount, Field(ge=0, lt=1)]
    # Expansion only on evidence the vendor did not report about itself: every due
    # expectation scored on a client review or on delivered files (models.evidence).
    expand_requires_independent: bool = False
    # A vendor-reported value and an independent one disagree beyond this share.
    evidence_tolerance: Annotated[Amount, Field(gt=0, le=1, decimal_places=4)] = Decimal("0.10")
    # Days a delivered rung may wait for the client's review before the monitor reminds.
    review_within_days: Annotated[int, Field(gt=0, le=90)] = 5


class ExitPlan(Section):
    """How the vendor leaves: prepared from day one."""

    notice_days: Annotated[int, Field(gt=0, le=365)]
    steps: Annotated[list[ExitStepKind], Field(min_length=1)]


class Expansion(Section):
    """The larger engagement that follows a successful pilot."""

    title: Text
    budget: Budget
    pilot: Annotated[list[Rung], Field(min_length=1)]
    expectations: Annotated[list[Expectation], Field(min_length=1)]


class Plan(Section):
    """A whole trial plan."""

    trial: Slug
    title: Text | None = None
    vendor: Vendor
    currency: CurrencyCode
    rate_card: Annotated[dict[Identifier, MoneyAmount], Field(min_length=1)]
    budget: Budget
    authority: Authority
    expectations: Annotated[list[Expectation], Field(min_length=1)]
    pilot: Annotated[list[Rung], Field(min_length=1)]
    gates: Gates
    exit_plan: ExitPlan
    expansion: Expansion | None = None
    redmine: RedmineSection | None = None  # the vendor's Redmine, for `adapter: redmine`
    # Working hours for values measured from tickets: without one, minutes are wall-clock.
    calendar: BusinessCalendar | None = None
    notify: Notify | None = None  # who is told when the trial needs a person (models.notify)
