"""The neutral shape of a ticket's history, read from a vendor's ticketing system.

An adapter (Redmine first) turns the system's issues and journals into these models; the
metrics in `models/ticket_metrics.py` read only this shape, so a second ticketing system
is one more adapter, not a second set of rules. Times are timezone-aware and in UTC.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, field_validator


class Side(StrEnum):
    """Who acted: the vendor's staff, or anyone else (the client side)."""

    VENDOR = "vendor"
    CLIENT = "client"


def _aware(value: datetime) -> datetime:
    """The time itself, refused when it has no time zone (a naive time is ambiguous)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"the time {value.isoformat()} has no time zone; "
            "give ticket times as timezone-aware UTC times"
        )
    return value


class TicketEvent(BaseModel):
    """One journal entry of a ticket, or the part of it that matters to the metrics."""

    at: datetime
    """When it happened: timezone-aware, UTC."""
    by: str
    """The acting user's login."""
    side: Side
    """Vendor staff, or anyone else (client side)."""
    note: bool
    """A note was written."""
    public: bool
    """Visible to the requester; a private note never counts as a response."""
    status: str | None = None
    """The status it changed to, if it changed the status."""
    closed: bool | None = None
    """Whether that status is a closed one; None when the status did not change."""

    @field_validator("at")
    @classmethod
    def _at_is_aware(cls, value: datetime) -> datetime:
        return _aware(value)


class Ticket(BaseModel):
    """A ticket (a Redmine issue) with its history of events."""

    id: str
    """The system's id, e.g. "1234"."""
    url: str
    """A link a person can open."""
    subject: str
    priority: str
    """The system's priority name, e.g. "Normal", "High", "Urgent"."""
    opened_at: datetime
    """Creation time: timezone-aware, UTC."""
    opened_by: str
    status: str
    """Its status now."""
    closed: bool
    """Whether its status now is a closed one."""
    opened_status: str | None = None
    """The status it was created in (a ticket logged after the fact may be created closed,
    or waiting on the client); None when the system does not say."""
    opened_closed: bool = False
    """Whether `opened_status` is a closed one."""
    events: list[TicketEvent]
    """Chronological; the metrics sort them again by time, keeping the order of equal times."""

    @field_validator("opened_at")
    @classmethod
    def _opened_at_is_aware(cls, value: datetime) -> datetime:
        return _aware(value)
