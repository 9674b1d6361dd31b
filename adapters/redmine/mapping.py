"""Redmine's JSON mapped onto the contract and the neutral ticket shape: pure functions.

Conventions (the README's "Running a trial against Redmine" has the whole map):
- every issue the engine opens carries its client reference in the subject, as a marker
  `[vt:REF]` in front of the title; Redmine has no Idempotency-Key, so the adapter finds
  an issue by that marker before it creates one;
- invoices are CSV files the vendor adds to the project's Files, named `invoice*.csv`, with
  the header `number,issued_on,currency,amount,time_entry_ids` (ids separated by spaces).
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from adapters.contract import AccessGrant, Invoice, TimesheetLine, WorkItem, WorkStatus
from models.money import CurrencyError, fits, round_money
from models.redmine import RedmineStatuses
from models.tickets import Side, Ticket, TicketEvent

Json = dict[str, Any]
SUBJECT_LIMIT = 255  # Redmine's longest subject
_MARKER = re.compile(r"^\[vt:([^\]\s]+)\] ")
INVOICE_HEADER = ["number", "issued_on", "currency", "amount", "time_entry_ids"]


def marker(client_ref: str) -> str:
    """The marker an engine-made issue's subject starts with: `[vt:REF] `."""
    return f"[vt:{client_ref}] "


def subject(client_ref: str, title: str) -> str:
    """The subject of an engine-made issue: its marker, then the title, cut to Redmine's 255."""
    whole = marker(client_ref) + title
    return whole if len(whole) <= SUBJECT_LIMIT else whole[: SUBJECT_LIMIT - 1] + "…"


def ref_of(subject_text: str) -> str | None:
    """The client reference an engine-made issue's subject carries, or None."""
    found = _MARKER.match(subject_text)
    return found.group(1) if found else None


def work_status(status: str, statuses: RedmineStatuses, *, started: bool) -> WorkStatus:
    """The contract's status for a Redmine status name (the plan's `redmine.statuses`)."""
    if status in statuses.rejected:
        return WorkStatus.REJECTED
    if status in statuses.delivered or status in statuses.accepted:
        return WorkStatus.DELIVERED
    return WorkStatus.IN_PROGRESS if started else WorkStatus.ACCEPTED


def status_changes(issue: Json) -> list[tuple[datetime, int, str]]:
    """(when, user id, new status id) for each journal that changed the issue's status."""
    changes = []
    for journal in issue.get("journals", []):
        for detail in journal.get("details", []):
            if detail.get("property") == "attr" and detail.get("name") == "status_id":
                when = redmine_time(journal["created_on"])
                changes.append((when, journal["user"]["id"], str(detail.get("new_value"))))
    return changes


def work_item(issue: Json, statuses: RedmineStatuses, names: dict[str, str]) -> WorkItem:
    """A rung's issue as the contract's work item; `names` maps status ids to names."""
    ref = ref_of(issue["subject"]) or str(issue["id"])
    status = issue["status"]["name"]
    changes = status_changes(issue)
    work = work_status(status, statuses, started=bool(changes) or bool(issue.get("journals")))
    # The latest delivery counts: a rung reopened and resolved again was delivered then.
    delivered_at = next(
        (when for when, _, new in reversed(changes) if names.get(new) in statuses.delivered),
        redmine_time(issue["closed_on"]) if issue.get("closed_on") else None,
    )
    created = redmine_time(issue["created_on"])
    due = issue.get("due_date")
    due_at = datetime.combine(date.fromisoformat(due), time(23, 59, 59), UTC) if due else created
    return WorkItem(
        id=str(issue["id"]),
        client_ref=ref,
        trial=ref.split(":", 1)[0],
        title=issue["subject"].removeprefix(marker(ref)),
        status=work,
        created_at=created,
        due_at=due_at,
        delivered_at=delivered_at if work == WorkStatus.DELIVERED else None,
    )


def ticket(
    issue: Json, staff: dict[int, str], names: dict[str, str], closed: set[str], base_url: str
) -> Ticket:
    """A helpdesk issue and its journals as a neutral ticket history (models.tickets).

    `staff` maps the vendor's user ids to logins; `names` status ids to names; `closed` is
    the ids of closed statuses. Anyone not on the vendor's staff acts for the client.
    """
    events = []
    for journal in issue.get("journals", []):
        user = journal["user"]
        new = next(
            (
                str(d.get("new_value"))
                for d in journal.get("details", [])
                if d.get("property") == "attr" and d.get("name") == "status_id"
            ),
            None,
        )
        events.append(
            TicketEvent(
                at=redmine_time(journal["created_on"]),
                by=staff.get(user["id"], user.get("name", str(user["id"]))),
                side=Side.VENDOR if user["id"] in staff else Side.CLIENT,
                note=bool((journal.get("notes") or "").strip()),
                public=not journal.get("private_notes", False),
                status=names.get(new, new) if new is not None else None,
                closed=(new in closed) if new is not None else None,
            )
        )
    author = issue["author"]
    opened = _opened_status(issue)
    return Ticket(
        id=str(issue["id"]),
        url=f"{base_url.rstrip('/')}/issues/{issue['id']}",
        subject=issue["subject"],
        priority=issue["priority"]["name"],
        opened_at=redmine_time(issue["created_on"]),
        opened_by=staff.get(author["id"], author.get("name", str(author["id"]))),
        status=issue["status"]["name"],
        closed=str(issue["status"]["id"]) in closed,
        opened_status=names.get(opened, opened),
        opened_closed=opened in closed,
        events=events,
    )


def _opened_status(issue: Json) -> str:
    """The id of the status an issue was created in: the old value of its first status
    change, or its status now if it never changed (Redmine journals every change)."""
    for journal in issue.get("journals", []):
        for detail in journal.get("details", []):
            if detail.get("property") == "attr" and detail.get("name") == "status_id":
                return str(detail.get("old_value"))
    return str(issue["status"]["id"])


def timesheet_line(entry: Json, role: str, rate: Decimal, currency: str) -> TimesheetLine:
    """A time entry priced at the rate card: hours × the role's rate, rounded once."""
    # Redmine keeps hours as a float (20 minutes is 0.3333…): to the hundredth first, as
    # the store keeps them and an invoice bills them, then priced.
    hours = Decimal(str(entry["hours"])).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return TimesheetLine(
        id=str(entry["id"]),
        work_item_id=str(entry["issue"]["id"]),
        role=role,
        hours=hours,
        rate=rate,
        amount=round_money(hours * rate, currency),
        currency=currency,
        worked_on=date.fromisoformat(entry["spent_on"]),
    )


def invoices(text: str, file_name: str, trial: str) -> list[Invoice]:
    """The invoices in one CSV file; ValueError naming the file, row and fix when malformed."""
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != INVOICE_HEADER:
        raise ValueError(
            f"{file_name}:1: the header is {reader.fieldnames}, not "
            f"{','.join(INVOICE_HEADER)}: ask the vendor to use that header"
        )
    return [_invoice(row, f"{file_name}:{n}", trial) for n, row in enumerate(reader, start=2)]


def _invoice(row: dict[str | Any, str | Any], where: str, trial: str) -> Invoice:
    """One row of an invoices file; ValueError naming `where` (file:row) when malformed."""
    cells = {name: (row.get(name) or "").strip() for name in INVOICE_HEADER}
    try:
        day = date.fromisoformat(cells["issued_on"])
        amount = Decimal(cells["amount"])
    except (ValueError, InvalidOperation):
        raise ValueError(
            f"{where}: issued_on must be YYYY-MM-DD and amount a number "
            f"(read {cells['issued_on']!r}, {cells['amount']!r})"
        ) from None
    if not cells["number"] or not re.fullmatch(r"[A-Z]{3}", cells["currency"]):
        raise ValueError(
            f"{where}: each invoice needs a number and a three-letter currency code "
            f"(read {cells['number']!r}, {cells['currency']!r})"
        )
    try:
        money_ok = amount.is_finite() and amount > 0 and fits(amount, cells["currency"])
    except CurrencyError as exc:
        raise ValueError(f"{where}: {exc.problem}") from None
    if not money_ok:
        raise ValueError(
            f"{where}: the amount {cells['amount']} is not a positive amount of "
            f"{cells['currency']} to its minor unit"
        )
    return Invoice(
        id=cells["number"],  # one invoice, whichever file carries it
        number=cells["number"],
        trial=trial,
        amount=amount,
        currency=cells["currency"],
        issued_at=datetime.combine(day, time(), UTC),
        timesheet_line_ids=cells["time_entry_ids"].split(),
    )


def grant(membership: Json, project: str, login: str, seen_at: datetime) -> AccessGrant:
    """A project membership as an access grant the exit plan revokes; Redmine does not say
    when a membership was made, so `granted_at` is when the engine read it."""
    roles = ", ".join(sorted(r["name"] for r in membership.get("roles", [])))
    return AccessGrant(
        id=str(membership["id"]),
        system=f"redmine project {project}",
        principal=login,
        scope=roles or "member",
        granted_at=seen_at,
    )


def redmine_time(value: str) -> datetime:
    """A Redmine timestamp (ISO 8601, `Z` for UTC) as an aware datetime."""
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
