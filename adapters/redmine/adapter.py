"""The Redmine adapter: a vendor that works in a Redmine project, seen through the contract.

Each rung is an issue of the plan's rung tracker, found by its client reference (a marker
in the subject) before any create; deliverables are the issue's attachments from the
vendor's staff; timesheets the time entries on the trial's issues, priced at the rate
card; invoices CSV files in the project's Files; helpdesk tickets the issues of the ticket
tracker, read with their journals (`models.tickets`). Handover is in `adapters.redmine.exit`.
"""

from __future__ import annotations

import asyncio
import email.utils
import hashlib
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import httpx
from pydantic import SecretStr

from adapters.contract import (
    Ack,
    AckRequest,
    Deliverable,
    Directive,
    DirectiveCreate,
    DirectiveOutcome,
    Health,
    Invoice,
    Metric,
    TimesheetLine,
    WhoAmI,
    WorkItem,
    WorkItemCreate,
)
from adapters.errors import VendorContractError, VendorNotFound
from adapters.redmine import mapping
from adapters.redmine.exit import RedmineHandover
from adapters.redmine.project import ProjectSetup, read_setup
from adapters.redmine.rest import Json, RedmineRest
from config import Settings
from models.redmine import RedmineSection
from models.tickets import Ticket

_READS = 4  # issues read at once with their journals
POLL_PAGE = 25  # issues a poll reads at most; more changed than that is news anyway
CLOCK_MARGIN = timedelta(minutes=5)  # Redmine's clock and ours may differ by this much
RUNG_REF_SUFFIX = ":work-item"  # how a rung's client reference ends (store.trials)


class RedmineAdapter(RedmineHandover):
    """One vendor's Redmine project, mapped onto `adapters.registry.VendorAPI`."""

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        token: SecretStr,
        section: RedmineSection,
        rate_card: dict[str, Decimal],
        currency: str,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.vendor, self.base_url = vendor, base_url
        self.section, self.rate_card, self.currency = section, rate_card, currency
        self.rest = RedmineRest(
            vendor=vendor, base_url=base_url, key=token, settings=settings, transport=transport
        )
        self._setup: ProjectSetup | None = None
        self._sha256: dict[str, str] = {}  # attachment id → sha256 of its bytes
        self._exports: dict[str, bytes] = {}  # export id → the archive built for it

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.rest.aclose()

    async def setup(self) -> ProjectSetup:
        """The project's ids behind the plan's names, read once."""
        if self._setup is None:
            self._setup = await read_setup(self.rest, self.section)
        return self._setup

    async def health(self) -> Health:
        """Redmine answers, and the key is accepted (`/users/current.json`; a read of a
        public project would answer a wrong key as the anonymous user)."""
        response = await self.rest.response("health check", "/users/current.json")
        when = response.headers.get("Date")
        at = datetime.now(UTC) if when is None else _http_date(when)
        return Health(status="ok", time=at)

    async def whoami(self) -> WhoAmI:
        """The key's user, and the project set up as the plan says (trackers, statuses,
        activities, users, and every named user's access one the exit can revoke): the
        check `trials check-vendor` makes. VendorSetupError naming what differs."""
        user = (await self.rest.get("auth check", "/users/current.json"))["user"]
        setup = await self.setup()
        await self.refuse_inherited()
        return WhoAmI(vendor=self.vendor, client=user.get("login", ""), scopes=setup.modules)

    async def acknowledge(self, trial: str, terms: AckRequest, key: str) -> Ack:
        """Open (once) an issue listing the targets; acknowledged once the vendor moves it to
        one of `redmine.statuses.acknowledged`. Until then nothing is acknowledged."""
        lines = [
            f"| {t.id} | {t.metric} | {t.comparator} {t.target} {t.unit} |"
            for t in terms.expectations
        ]
        body = "The trial's expectations, for the vendor's acknowledgement:\n\n" + "\n".join(
            ["| expectation | metric | target |", *lines]
        )
        issue = await self._ensure_issue(
            key, "Expectations to acknowledge", body, self.section.rung_tracker, None
        )
        status = issue["status"]["name"]
        acknowledged = status in self.section.statuses.acknowledged
        changes = mapping.status_changes(issue)
        return Ack(
            trial=trial,
            acknowledged=[t.id for t in terms.expectations] if acknowledged else [],
            acknowledged_at=changes[-1][0] if acknowledged and changes else datetime.now(UTC),
        )

    async def ensure_work_item(self, item: WorkItemCreate, key: str) -> WorkItem:
        """The rung's issue for `item.client_ref`: found if a past attempt made it, else
        created with the hours by role, the rates and the due date."""
        hours = ", ".join(f"{role} {h} h" for role, h in item.hours.items())
        rates = ", ".join(f"{role} {r} {item.currency}/h" for role, r in item.rates.items())
        body = f"{item.description or item.title}\n\nHours: {hours}.\nRates: {rates}."
        due = date.today() + timedelta(days=item.due_in_days)
        issue = await self._ensure_issue(
            item.client_ref,
            item.title,
            body,
            self.section.rung_tracker,
            due,
            estimated=sum(item.hours.values(), Decimal(0)),
        )
        return await self.work_item(str(issue["id"]))

    async def work_item(self, item_id: str) -> WorkItem:
        """A rung's issue as a work item, its status mapped by the plan's status names."""
        issue = await self._issue("read work item", item_id)
        setup = await self.setup()
        return mapping.work_item(issue, self.section.statuses, setup.statuses)

    async def deliverables(self, item_id: str) -> list[Deliverable]:
        """The files the vendor's staff attached to a rung's issue, with sha256 computed here:
        Redmine's API gives no digest of an attachment."""
        issue = await self._issue("list deliverables", item_id, "attachments")
        staff = (await self.setup()).staff
        found = []
        for a in issue.get("attachments", []):
            if a["author"]["id"] not in staff:
                continue
            key = str(a["id"])
            if key not in self._sha256:
                content = await self.rest.raw("download deliverable", a["content_url"])
                self._sha256[key] = hashlib.sha256(content).hexdigest()
            found.append(
                Deliverable(
                    id=key,
                    work_item_id=item_id,
                    name=a["filename"],
                    size=a["filesize"],
                    sha256=self._sha256[key],
                    media_type=a.get("content_type") or "application/octet-stream",
                    submitted_at=mapping.redmine_time(a["created_on"]),
                )
            )
        return found

    async def download_deliverable(self, deliverable: Deliverable) -> bytes:
        """An attachment's bytes, checked against the size and sha256 it was listed with;
        VendorSetupError if it was deleted since it was listed."""
        try:
            meta = await self.rest.get(
                "download deliverable", f"/attachments/{deliverable.id}.json"
            )
        except VendorNotFound:
            raise self.rest.setup_error(
                "download deliverable",
                f"attachment {deliverable.id} ({deliverable.name}) on issue "
                f"#{deliverable.work_item_id} was deleted after it was listed",
                "run the trial again: it lists what is attached now (ask the vendor to attach "
                "the file again if it was deleted by mistake)",
            ) from None
        content = await self.rest.raw("download deliverable", meta["attachment"]["content_url"])
        digest = hashlib.sha256(content).hexdigest()
        if len(content) != deliverable.size or digest != deliverable.sha256:
            raise VendorContractError(
                self.vendor,
                "download deliverable",
                f"attachment {deliverable.id} ({deliverable.name}) changed since it was listed: "
                f"{len(content)} bytes, sha256 {digest}",
            )
        return content

    async def metrics(self, trial: str) -> list[Metric]:
        """None: Redmine reports no metrics of its own; `source: tickets` measures them."""
        return []

    async def tickets(self, trial: str) -> list[Ticket]:
        """Every helpdesk ticket of the project (the ticket tracker's issues, the engine's
        own excluded) with its journals, as neutral histories (models.tickets)."""
        setup = await self.setup()
        listed = await self._issues(setup.trackers[self.section.ticket_tracker], None)
        ids = [str(i["id"]) for i in listed if mapping.ref_of(i["subject"]) is None]
        issues = await self._read_all("read tickets", ids)
        return [
            mapping.ticket(i, setup.staff, setup.statuses, setup.closed, self.base_url)
            for i in issues
        ]

    async def changed_since(self, trial: str, since: datetime) -> bool:
        """Whether the vendor changed one of the trial's issues (its rungs, acknowledgement,
        directives: subjects marked `[vt:TRIAL:`) since `since`, in one request (Redmine
        sends no webhooks). Helpdesk tickets do not move a trial on, so they are not asked
        about; an issue nobody touched after the engine opened it is no news. `since` is
        taken `CLOCK_MARGIN` early, for the two systems' clocks."""
        after = (since - CLOCK_MARGIN).astimezone(UTC)
        page = await self.rest.get(
            "poll for changes",
            "/issues.json",
            {
                "project_id": self.section.project,
                "status_id": "*",
                "subject": f"~[vt:{trial}:",
                "updated_on": f">={after:%Y-%m-%dT%H:%M:%SZ}",
                "sort": "updated_on:desc",
                "limit": str(POLL_PAGE),
            },
        )
        touched = [i for i in page["issues"] if i["updated_on"] != i["created_on"]]
        return bool(touched) or int(page.get("total_count", 0)) > POLL_PAGE

    async def timesheets(self, trial: str) -> list[TimesheetLine]:
        """The time entries on the trial's rung issues (references ending `:work-item`; not
        the acknowledgement's or a directive's issue), each priced at its activity's role."""
        rungs = {
            i["id"]
            for i in await self._issues(None, f"{trial}:")
            if (mapping.ref_of(i["subject"]) or "").endswith(RUNG_REF_SUFFIX)
        }
        entries = await self.rest.pages(
            "read timesheets",
            "/time_entries.json",
            "time_entries",
            {"project_id": self.section.project},
        )
        lines = []
        for entry in entries:
            if entry.get("issue", {}).get("id") not in rungs:
                continue
            activity = entry["activity"]["name"]
            role = self.section.activities.get(activity)
            if role is None:
                priced = ", ".join(sorted(self.section.activities))
                raise self.rest.setup_error(
                    "read timesheets",
                    f"time entry {entry['id']} ({entry['hours']} h on issue "
                    f"#{entry['issue']['id']}) is booked as '{activity}', which the plan does "
                    "not price, so the rung's cost cannot be known",
                    f"ask the vendor to book it under an activity the statement of work prices "
                    f"({priced}) and run the trial again; nothing is recorded until then",
                )
            lines.append(mapping.timesheet_line(entry, role, self.rate_card[role], self.currency))
        return sorted(lines, key=lambda line: int(line.id))

    async def invoices(self, trial: str) -> list[Invoice]:
        """The invoices in the CSV files named `invoice*.csv` in the project's Files."""
        files = (
            await self.rest.get("read invoices", f"/projects/{self.section.project}/files.json")
        )["files"]
        found = []
        for f in sorted(files, key=lambda f: f["id"]):
            name = f["filename"]
            if not (name.lower().startswith("invoice") and name.lower().endswith(".csv")):
                continue
            content = await self.rest.raw("read invoices", f["content_url"])
            try:
                found += mapping.invoices(content.decode("utf-8-sig"), name, trial)
            except (ValueError, UnicodeDecodeError) as exc:
                raise VendorContractError(self.vendor, "read invoices", str(exc)) from None
        # An invoice number sent again in a later file is the same invoice, counted once.
        return list({invoice.id: invoice for invoice in reversed(found)}.values())[::-1]

    async def post_directive(self, trial: str, directive: DirectiveCreate, key: str) -> Directive:
        """Open (once) an issue of the directives tracker holding the instruction."""
        body = f"{directive.text}\n\nArea: {directive.area}."
        if directive.justification:
            body += f"\nWhy the client decides this here: {directive.justification}"
        issue = await self._ensure_issue(
            directive.client_ref,
            f"Directive: {directive.text[:80]}",
            body,
            self.section.directives_tracker,
            None,
        )
        return await self.directive(str(issue["id"]))

    async def directive(self, directive_id: str) -> Directive:
        """A directive's issue: the vendor's answer is its latest note from the vendor's
        staff; accepted or pushed back by the status it moved to."""
        issue = await self._issue("read directive", directive_id)
        setup = await self.setup()
        ref = mapping.ref_of(issue["subject"]) or directive_id
        status = issue["status"]["name"]
        statuses = self.section.statuses
        outcome = (
            DirectiveOutcome.ACCEPTED
            if status in statuses.directive_accepted
            else DirectiveOutcome.PUSHED_BACK
            if status in statuses.directive_pushed_back
            else None
        )
        notes = [
            j
            for j in issue.get("journals", [])
            if j["user"]["id"] in setup.staff and (j.get("notes") or "").strip()
        ]
        changes = mapping.status_changes(issue)
        # Redmine stores a description's line ends as CRLF, whatever was sent.
        description = (issue.get("description") or "").replace("\r\n", "\n")
        text, _, area = description.partition("\n\nArea: ")
        return Directive(
            id=directive_id,
            client_ref=ref,
            trial=ref.split(":", 1)[0],
            text=text or issue["subject"],
            area=area.split(".", 1)[0] or "unknown",
            status="answered" if outcome else "open",
            answer=notes[-1]["notes"] if notes else None,
            outcome=outcome,
            answered_at=changes[-1][0] if outcome and changes else None,
        )

    async def _ensure_issue(
        self,
        ref: str,
        title: str,
        body: str,
        tracker: str,
        due: date | None,
        *,
        estimated: Decimal | None = None,
    ) -> Json:
        """The issue carrying `ref`: looked up first, created only when none exists."""
        setup = await self.setup()
        found = await self._issues(None, ref, exact=True)
        if found:
            return await self._issue("read issue", str(found[0]["id"]))
        fields: Json = {
            "project_id": setup.project_id,
            "tracker_id": setup.trackers[tracker],
            "subject": mapping.subject(ref, title),
            "description": body,
        }
        if due is not None:
            fields["due_date"] = due.isoformat()
        if estimated is not None:
            fields["estimated_hours"] = float(estimated)
        created = await self.rest.post("create issue", "/issues.json", {"issue": fields})
        return await self._issue("read issue", str(created["issue"]["id"]))

    async def _issues(
        self, tracker_id: int | None, ref: str | None, *, exact: bool = False
    ) -> list[Json]:
        """The project's issues in any status, of one tracker or (None) any; with `ref`,
        those whose subject carries that reference (`exact`) or starts a reference with
        it. The engine's own issues are looked up in every tracker: a vendor may move one."""
        params = {"project_id": self.section.project, "status_id": "*", "sort": "id"}
        if tracker_id is not None:
            params["tracker_id"] = str(tracker_id)
        if ref is not None:
            params["subject"] = "~" + mapping.marker(ref).strip() if exact else f"~[vt:{ref}"
        issues = await self.rest.pages("find issues", "/issues.json", "issues", params)
        if ref is None:
            return issues
        return [
            i
            for i in issues
            if (found := mapping.ref_of(i["subject"])) is not None
            and (found == ref if exact else found.startswith(ref))
        ]

    async def _issue(self, call: str, issue_id: str, include: str = "journals") -> Json:
        """An issue of the plan's project; VendorSetupError if it was moved out of it (its
        time entries and files would silently leave the trial's cost and evidence)."""
        issue: Json = (await self.rest.get(call, f"/issues/{issue_id}.json", {"include": include}))[
            "issue"
        ]
        if issue["project"]["id"] != (await self.setup()).project_id:
            raise self.rest.setup_error(
                call,
                f"issue #{issue_id} ({issue['subject']}) was moved to project "
                f"'{issue['project']['name']}', out of {self.section.project}: its time "
                "entries and files would no longer count for the trial",
                "move it back in Redmine (the issue's Project field) and run the trial "
                "again; the engine never moves an issue",
            )
        return issue

    async def _read_all(self, call: str, ids: list[str]) -> list[Json]:
        """Issues with their journals, a few at a time (Redmine lists no journals)."""
        limit = asyncio.Semaphore(_READS)

        async def one(issue_id: str) -> Json:
            async with limit:
                return await self._issue(call, issue_id)

        return list(await asyncio.gather(*(one(i) for i in ids)))


def _http_date(value: str) -> datetime:
    return email.utils.parsedate_to_datetime(value).astimezone(UTC)
