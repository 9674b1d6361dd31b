"""Where each measured value comes from, and which value an expectation is scored on.

Every measurement carries its provenance: its source (the vendor's own metrics, the files
the vendor delivered, or a person on the client side), who or what produced it, when,
and the evidence (the files with their checksums, the reviewer's note, the vendor's
payload). An expectation is scored on a value from the source its plan names; the
vendor's own value for the same metric is kept beside it, and a disagreement beyond the
plan's tolerance is flagged.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from models.plan import Source

# How each source is named wherever a value is shown.
LABELS: dict[Source, str] = {
    Source.VENDOR_METRICS: "vendor-reported",
    Source.DELIVERABLES: "computed from delivered files",
    Source.CLIENT_REVIEW: "client review",
    Source.TICKETS: "measured from tickets",
}
# A vendor-reported value and an independent one disagree when they differ by more than
# this share of the independent value (or of the target, when the independent value is 0).
DEFAULT_TOLERANCE = Decimal("0.10")


class FileEvidence(BaseModel):
    """A delivered file a value was computed from, as archived."""

    name: str
    sha256: str
    size: int  # bytes


class TicketEvidence(BaseModel):
    """A ticket a value was measured from, and what it contributed."""

    id: str
    url: str  # where a person opens it
    minutes: Decimal | None = None  # counted for the vendor; None when not counted
    client_paused_minutes: Decimal = Decimal(0)  # waiting on the client, not the vendor's
    still_open: bool = False  # the clock still ran at the window's end: minutes "so far"


class Evidence(BaseModel):
    """Who or what produced a value, when, and on what."""

    source: Source
    produced_by: str  # "vendor Acme Managed Services", "Dana Reyes", "the archive"
    at: datetime
    rung: str | None = None
    note: str = ""
    files: list[FileEvidence] = []
    tickets: list[TicketEvidence] = []
    # True for a review nobody made: the gate answered by policy (`--auto`, the demo) with
    # the vendor's own value standing in for the client's.
    stand_in: bool = False

    @property
    def independent(self) -> bool:
        """True unless the value is the vendor's own word, reported or standing in."""
        return self.source is not Source.VENDOR_METRICS and not self.stand_in

    @property
    def label(self) -> str:
        """The source as people read it, with who: "client review by Dana Reyes"."""
        if self.stand_in:
            return "vendor-reported, taken by policy: no client review"
        if self.source is Source.CLIENT_REVIEW:
            return f"client review by {self.produced_by}"
        if self.source is Source.DELIVERABLES:
            count = len(self.files)
            return f"computed from {count} delivered file{'s' if count != 1 else ''}"
        if self.source is Source.TICKETS:
            count = len(self.tickets)
            return f"measured from {count} ticket{'s' if count != 1 else ''}"
        return LABELS[self.source]


class Measured(BaseModel):
    """A measured value with its evidence."""

    value: Decimal
    evidence: Evidence


def disagrees(vendor: Decimal, independent: Decimal, target: Decimal, tolerance: Decimal) -> bool:
    """Whether the vendor's value is off the independent one by more than `tolerance`, a
    share of the independent value (of the target when that is 0): 4.8 against 3.1 with
    0.10 disagrees (|4.8 − 3.1| = 1.7 > 0.31)."""
    scale = abs(independent) or abs(target) or Decimal(1)
    return abs(vendor - independent) > tolerance * scale
