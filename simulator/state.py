"""The simulator's in-memory world: trials, work items and everything they produce."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from adapters.contract import (
    AccessGrant,
    Ack,
    AckRequest,
    DataExport,
    Deliverable,
    Directive,
    ExpectationTerms,
    ExportStatus,
    Invoice,
    KnowledgeDocument,
    Metric,
    TimesheetLine,
    WebhookEvent,
    WorkItem,
    WorkItemCreate,
    WorkStatus,
)
from simulator import catalogue
from simulator.config import SimulatorConfig
from simulator.content import document, sha256
from simulator.errors import ProblemError
from simulator.profiles import BETTER_SIDE, Profile, delivery_fraction

R = TypeVar("R")
MAX_DUE_DAYS = 3650


@dataclass
class TrialRecord:
    """What the vendor knows about one trial."""

    name: str
    expectations: dict[str, ExpectationTerms] = field(default_factory=dict)
    grant_ids: list[str] = field(default_factory=list)
    document_ids: list[str] = field(default_factory=list)
    document_listings: int = 0
    metrics: list[Metric] = field(default_factory=list)
    timesheets: list[TimesheetLine] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    directives_in: Counter[str] = field(default_factory=Counter)  # answered, by area
    complied: dict[str, datetime] = field(default_factory=dict)  # vendor area -> since when


@dataclass
class WorkRecord:
    """A work item, the order it came from, and when it will move."""

    item: WorkItem
    order: WorkItemCreate
    starts_at: datetime
    delivers_at: datetime
    deliverable_ids: list[str] = field(default_factory=list)


@dataclass
class GrantRecord:
    """An access grant and how often revoking it was asked."""

    grant: AccessGrant
    trial: str
    revoke_calls: int = 0


@dataclass
class ExportRecord:
    """A data export, when it will be ready, and its bytes once it is."""

    export: DataExport
    format: str
    ready_at: datetime
    content: bytes = b""
    downloads: int = 0


@dataclass
class DirectiveRecord:
    """A directive and when the vendor will answer it."""

    directive: Directive
    answers_at: datetime


class World:
    """All the vendor's records; ids are counters, randomness comes from the seed."""

    def __init__(
        self, config: SimulatorConfig, profile: Profile, emit: Callable[[WebhookEvent], None]
    ) -> None:
        self.seed = config.seed
        self.profile = profile
        self.vendor = config.vendor_name or profile.vendor
        self.emit = emit
        self.outbox: list[WebhookEvent] = []  # events of one tick, announced in time order
        self.trials: dict[str, TrialRecord] = {}
        self.work: dict[str, WorkRecord] = {}
        self.deliverables: dict[str, Deliverable] = {}
        self.documents: dict[str, KnowledgeDocument] = {}
        self.blobs: dict[str, bytes] = {}
        self.grants: dict[str, GrantRecord] = {}
        self.exports: dict[str, ExportRecord] = {}
        self.directives: dict[str, DirectiveRecord] = {}
        self.acks: dict[str, Ack] = {}
        self._counters: Counter[str] = Counter()

    def next_id(self, prefix: str) -> str:
        """The next id of a kind of record, such as `wi-0001`."""
        self._counters[prefix] += 1
        return f"{prefix}-{self._counters[prefix]:04d}"

    def rng(self, *parts: str) -> random.Random:
        """A random source that depends only on the seed and these names."""
        return random.Random(":".join([str(self.seed), *parts]))

    def trial(self, name: str, now: datetime) -> TrialRecord:
        """The trial's record, seeded with grants and KT documents the first time it is seen."""
        if name in self.trials:
            return self.trials[name]
        record = self.trials[name] = TrialRecord(name)
        rng = self.rng("trial", name)
        record.grant_ids = [self.next_id("ag") for _ in range(rng.randint(2, 3))]
        for grant in catalogue.access_grants(rng, self.vendor, record.grant_ids, now):
            self.grants[grant.id] = GrantRecord(grant, name)
        for title in catalogue.document_titles(rng):
            content = document(self.seed, f"{name}:{title}", title)
            doc = KnowledgeDocument(
                id=self.next_id("kt"),
                trial=name,
                title=title,
                size=len(content),
                sha256=sha256(content),
            )
            self.documents[doc.id] = doc
            self.blobs[doc.id] = content
            record.document_ids.append(doc.id)
        return record

    def acknowledge(self, trial: str, request: AckRequest, now: datetime) -> str:
        """Acknowledge expectations; metrics of delivered work will measure them.

        They are the expectations in force from now on: a later acknowledgement (the next
        engagement's) replaces them, as the client's new terms do.
        """
        unknown = sorted({t.comparator for t in request.expectations} - set(BETTER_SIDE))
        if unknown:
            raise ProblemError(
                422, f"Unknown comparators {unknown}; use one of {', '.join(BETTER_SIDE)}."
            )
        record = self.trial(trial, now)
        record.expectations = {terms.id: terms for terms in request.expectations}
        ack = Ack(
            trial=trial, acknowledged=[t.id for t in request.expectations], acknowledged_at=now
        )
        ack_id = self.next_id("ack")
        self.acks[ack_id] = ack
        return ack_id

    def create_work_item(self, order: WorkItemCreate, now: datetime) -> str:
        """Accept a work item; it will start and be delivered on the profile's schedule."""
        check_order(order)
        self.trial(order.trial, now)
        due = timedelta(days=order.due_in_days)
        fraction = delivery_fraction(self.profile, self.rng("work", order.trial, order.client_ref))
        item = WorkItem(
            id=self.next_id("wi"),
            client_ref=order.client_ref,
            trial=order.trial,
            title=order.title,
            status=WorkStatus.ACCEPTED,
            created_at=now,
            due_at=now + due,
        )
        self.work[item.id] = WorkRecord(
            item, order, now + due * fraction * 0.1, now + due * fraction
        )
        return item.id

    def create_export(self, trial: str, client_ref: str, format_: str, now: datetime) -> str:
        """Start preparing a data export."""
        self.trial(trial, now)
        export = DataExport(
            id=self.next_id("ex"),
            client_ref=client_ref,
            trial=trial,
            status=ExportStatus.PENDING,
            requested_at=now,
        )
        ready_at = now + timedelta(days=self.profile.export_days)
        self.exports[export.id] = ExportRecord(export, format_, ready_at)
        return export.id

    def create_directive(
        self, trial: str, client_ref: str, text: str, area: str, now: datetime
    ) -> str:
        """Take a directive; the vendor answers it half a day later."""
        self.trial(trial, now)
        directive = Directive(
            id=self.next_id("dr"),
            client_ref=client_ref,
            trial=trial,
            text=text,
            area=area,
            status="open",
        )
        self.directives[directive.id] = DirectiveRecord(directive, now + timedelta(days=0.5))
        return directive.id


def check_order(order: WorkItemCreate) -> None:
    """Refuse a work item the vendor could not bill: hours without rates, negatives, far dues."""
    unpriced = sorted(set(order.hours) - set(order.rates))
    if unpriced:
        raise ProblemError(
            422, f"No rate for the roles {', '.join(unpriced)}: send a rate for each."
        )
    if any(v < 0 for v in [*order.hours.values(), *order.rates.values()]):
        raise ProblemError(422, "Hours and rates must not be negative.")
    if order.due_in_days > MAX_DUE_DAYS:
        raise ProblemError(422, f"due_in_days must be at most {MAX_DUE_DAYS}.")


def found(records: dict[str, R], key: str, what: str) -> R:
    """The record with this id, or a 404 problem naming it."""
    try:
        return records[key]
    except KeyError:
        raise ProblemError(404, f"No {what} with id {key!r}.") from None
