"""What happens as simulated time passes: work moves, deliveries land, exports get ready."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from adapters.contract import (
    Deliverable,
    DirectiveOutcome,
    ExpectationTerms,
    ExportStatus,
    Invoice,
    Metric,
    TimesheetLine,
    WebhookEvent,
    WebhookEventType,
    WorkStatus,
)
from models.money import round_money
from simulator import catalogue
from simulator.content import archive, document, runbook, sha256
from simulator.profiles import Profile, billed_hours, metric_value
from simulator.state import DirectiveRecord, ExportRecord, TrialRecord, WorkRecord, World

DELIVERABLE_KINDS = ("runbook", "report", "handover-notes")
UPDATED = WebhookEventType.WORK_ITEM_UPDATED


def advance(world: World, now: datetime) -> None:
    """Bring every record up to `now`; changes are dated, and announced, in the order due."""
    for entry in world.directives.values():  # first: a directive complied with shapes work
        if entry.directive.status == "open" and now >= entry.answers_at:
            answer(world, entry)
    for record in world.work.values():
        _progress(world, record, now)
    for export in world.exports.values():
        if export.export.status == ExportStatus.PENDING and now >= export.ready_at:
            prepare_export(world, export)
    for event in sorted(world.outbox, key=lambda e: e.occurred_at):
        world.emit(event)
    world.outbox.clear()


def _progress(world: World, record: WorkRecord, now: datetime) -> None:
    """Start the work, then deliver it, once each is due."""
    item = record.item
    if item.status == WorkStatus.ACCEPTED and now >= record.starts_at:
        item.status = WorkStatus.IN_PROGRESS
        _announce(world, UPDATED, item.trial, item.id, record.starts_at, status=item.status.value)
    if item.status == WorkStatus.IN_PROGRESS and now >= record.delivers_at:
        deliver(world, record)


def answer(world: World, entry: DirectiveRecord) -> None:
    """The vendor's answer to a directive, dated when it was due."""
    directive = entry.directive
    trial = world.trials[directive.trial]
    area = directive.area.strip().lower()
    rng = world.rng("directive", directive.trial, directive.client_ref)
    outcome, directive.answer = catalogue.answer(
        directive.area, directive.text, rng, trial.directives_in[area]
    )
    trial.directives_in[area] += 1
    directive.outcome = outcome
    directive.status, directive.answered_at = "answered", entry.answers_at
    if outcome is DirectiveOutcome.ACCEPTED and catalogue.is_vendor_area(area):
        trial.complied.setdefault(area, entry.answers_at)
    _announce(
        world,
        WebhookEventType.DIRECTIVE_ANSWERED,
        directive.trial,
        directive.id,
        entry.answers_at,
        client_ref=directive.client_ref,
        outcome=outcome.value,
        answer=directive.answer,
    )


def deliver(world: World, record: WorkRecord) -> None:
    """Deliver a work item with its files, its measurements, its hours and its invoice."""
    item, at = record.item, record.delivers_at
    item.status, item.delivered_at = WorkStatus.DELIVERED, at
    _announce(world, UPDATED, item.trial, item.id, at, status=item.status.value)
    _submit_files(world, record)
    _measure(world, record)
    _bill(world, record)


def _submit_files(world: World, record: WorkRecord) -> None:
    """Submit one to three documents, their bytes fixed by the seed and the client reference."""
    item, at = record.item, record.delivers_at
    key = (item.trial, item.client_ref)
    rng = world.rng("deliver", *key)
    for kind in DELIVERABLE_KINDS[: rng.randint(1, len(DELIVERABLE_KINDS))]:
        name, content = _file(world, key, item.title, kind)
        deliverable = Deliverable(
            id=world.next_id("dl"),
            work_item_id=item.id,
            media_type="text/markdown",
            name=name,
            size=len(content),
            sha256=sha256(content),
            submitted_at=at,
        )
        world.deliverables[deliverable.id] = deliverable
        world.blobs[deliverable.id] = content
        record.deliverable_ids.append(deliverable.id)
        _announce(
            world,
            WebhookEventType.DELIVERABLE_SUBMITTED,
            item.trial,
            deliverable.id,
            at,
            work_item_id=item.id,
            name=deliverable.name,
            sha256=deliverable.sha256,
        )


def _file(world: World, key: tuple[str, str], title: str, kind: str) -> tuple[str, bytes]:
    """A delivered file's name and bytes. The runbook goes in runbooks/: about four pages
    (at 500 words a page) from a vendor that meets its targets, one from one that does not."""
    name = catalogue.slug(title)
    if kind != "runbook":
        return f"{name}-{kind}.md", document(world.seed, ":".join([*key, kind]), f"{title}: {kind}")
    rng = world.rng("runbook", *key)
    words = rng.randint(1600, 1950) if world.profile.meets_targets else rng.randint(250, 480)
    return f"runbooks/{name}.md", runbook(world.seed, ":".join(key), f"{title}: runbook", words)


def _measure(world: World, record: WorkRecord) -> None:
    """Report a value for every acknowledged expectation, on the profile's side of it."""
    item = record.item
    trial = world.trials[item.trial]
    for terms in trial.expectations.values():
        rng = world.rng("metric", item.trial, item.client_ref, terms.id)
        trial.metrics.append(
            Metric(
                metric=terms.metric,
                value=metric_value(_profile_for(world, trial, terms, record), terms, rng),
                unit=terms.unit,
                measured_at=record.delivers_at,
                work_item_id=item.id,
            )
        )


def _profile_for(
    world: World, trial: TrialRecord, terms: ExpectationTerms, record: WorkRecord
) -> Profile:
    """The vendor's profile, but missing the target where it works the client's way.

    Once the vendor complies with an override of one of its areas, the expectations that
    depend on that area miss their targets in the work delivered after it.
    """
    since = trial.complied.get((terms.area or "").strip().lower())
    if since is not None and since <= record.delivers_at:
        return replace(world.profile, meets_targets=False)
    return world.profile


def _bill(world: World, record: WorkRecord) -> None:
    """Book the hours by role at the agreed rates, then invoice them."""
    item, at = record.item, record.delivers_at
    trial = world.trials[item.trial]
    lines = _book_hours(world, record)
    trial.timesheets.extend(lines)
    invoice_id = world.next_id("inv")
    invoice = Invoice(
        id=invoice_id,
        number=f"INV-{world.seed}-{invoice_id.removeprefix('inv-')}",
        trial=item.trial,
        amount=sum((line.amount for line in lines), Decimal(0)),
        currency=record.order.currency,
        issued_at=at,
        timesheet_line_ids=[line.id for line in lines],
    )
    trial.invoices.append(invoice)
    _announce(
        world,
        WebhookEventType.INVOICE_ISSUED,
        item.trial,
        invoice.id,
        at,
        number=invoice.number,
        amount=str(invoice.amount),
        currency=invoice.currency,
        work_item_id=item.id,
    )


def _book_hours(world: World, record: WorkRecord) -> list[TimesheetLine]:
    """One timesheet line per role: the profile's share of the estimated hours."""
    item, order = record.item, record.order
    rng = world.rng("hours", item.trial, item.client_ref)
    lines = []
    for role, hours in sorted(order.hours.items()):
        booked = billed_hours(world.profile, hours, rng)
        lines.append(
            TimesheetLine(
                id=world.next_id("ts"),
                work_item_id=item.id,
                role=role,
                hours=booked,
                rate=order.rates[role],
                amount=round_money(booked * order.rates[role], order.currency),  # half up
                currency=order.currency,
                worked_on=record.delivers_at.date(),
            )
        )
    return lines


def prepare_export(world: World, record: ExportRecord) -> None:
    """Pack the trial's records as the export's bytes, and mark it ready."""
    export = record.export
    trial = world.trials[export.trial]
    files: dict[str, Any] = {
        "manifest.json": {"trial": export.trial, "export": export.id, "vendor": world.vendor},
        "work-items.json": [
            r.item.model_dump(mode="json")
            for r in world.work.values()
            if r.item.trial == export.trial
        ],
        "timesheets.json": [line.model_dump(mode="json") for line in trial.timesheets],
        "invoices.json": [invoice.model_dump(mode="json") for invoice in trial.invoices],
    }
    record.content = archive(files, record.format)
    export.size, export.sha256 = len(record.content), sha256(record.content)
    export.status = ExportStatus.READY


def _announce(
    world: World,
    kind: WebhookEventType,
    trial: str,
    subject: str,
    at: datetime,
    **data: object,
) -> None:
    """Queue a webhook event; `advance` sends a tick's events in time order."""
    event = WebhookEvent(type=kind, trial=trial, subject=subject, occurred_at=at, data=data)
    world.outbox.append(event)
