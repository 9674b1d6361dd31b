"""The simulator plays a vendor inside a real Redmine, through its REST API.

It acts as the vendor's staff (the admin's key with `X-Redmine-Switch-User`; the first of
`section.vendor_staff` takes the steps Redmine's default workflow leaves to a Manager:
rejecting and reopening) and as one client-side user who opens helpdesk tickets. Each
`step()` does what is due and reads its progress back from Redmine, so a second step never
repeats an act: it acknowledges the expectations, works each new rung (tickets, time
entries, a runbook, the `Runbook` wiki page, an invoice in Files, then delivery), and
answers directives. Ghosts acknowledge and go silent; hostile exits write no wiki page.

With a `RedmineClock` (a throwaway Redmine only) every act is re-timed to the profile's
simulated time, starting at the rung issue's creation. Without one (a real Redmine, which
must never be edited underneath) acts happen in real time, one step after another, and the
profile's response, resolution and delivery delays are not simulated.
"""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import date, datetime, timedelta
from decimal import Decimal

import httpx

from adapters.redmine import mapping
from models.redmine import RedmineSection
from simulator import redmine_script as script
from simulator.profiles import Profile, billed_hours, delivery_fraction
from simulator.redmine_actor import Json, RedmineActor, RedmineDown, RedmineVendorError
from simulator.redmine_clock import RedmineClock

log = logging.getLogger("trials.simulator")
RUNG_SUFFIX = ":work-item"
ACK_SUFFIX = ":acknowledge"
DEFAULT_DUE_DAYS = 5


class RedmineVendor:
    """One simulated vendor working in one Redmine project, round by round."""

    def __init__(
        self,
        *,
        url: str,
        admin_key: str,
        section: RedmineSection,
        client_user: str,
        profile: Profile,
        rate_card: dict[str, Decimal],
        currency: str,
        seed: int = 0,
        clock: RedmineClock | None = None,
        tickets_per_rung: int = 10,
    ) -> None:
        self.section, self.client_user, self.profile = section, client_user, profile
        self.rate_card, self.currency, self.seed = rate_card, currency, seed
        self.clock, self.tickets_per_rung = clock, tickets_per_rung
        self.redmine = RedmineActor(url=url, admin_key=admin_key, project=section.project)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.redmine.aclose()

    async def run(self, stop: asyncio.Event, every: float = 0.2) -> None:
        """Rounds until `stop` is set, `every` seconds apart. A round Redmine does not answer
        (down, or 5xx) is tried again at the next: people keep working through an outage."""
        while not stop.is_set():
            try:
                await self.step()
            except (httpx.TransportError, RedmineDown) as exc:
                log.warning("Redmine did not answer the simulated vendor (%s); next round", exc)
            try:
                await asyncio.wait_for(stop.wait(), every)
            except TimeoutError:
                pass

    async def step(self) -> list[str]:
        """One round: whatever is due now; one line per act."""
        done = await self._acknowledge()
        if self.profile.ghost:
            return done
        for rung in await self.redmine.issues(self.section.rung_tracker, RUNG_SUFFIX):
            if rung["status"]["name"] in ("New", "In Progress"):
                done += await self._work(rung)
        return done + await self._answer_directives()

    async def _acknowledge(self) -> list[str]:
        acknowledged = self.section.statuses.acknowledged
        done = []
        for issue in await self.redmine.issues(self.section.rung_tracker, ACK_SUFFIX):
            if issue["status"]["name"] not in acknowledged:
                at = self._after(issue, script.pace(self.profile).response_minutes)
                await self._change(issue["id"], "Acknowledged.", acknowledged[0], at, self._lead)
                done.append(f"issue {issue['id']}: expectations acknowledged")
        return done

    async def _answer_directives(self) -> list[str]:
        statuses = self.section.statuses
        answered = {*statuses.directive_accepted, *statuses.directive_pushed_back}
        done = []
        for issue in await self.redmine.issues(self.section.directives_tracker, None):
            if "Directive:" not in issue["subject"] or issue["status"]["name"] in answered:
                continue
            if self.profile.meets_targets:
                note, status = "Agreed; we will work this way.", statuses.directive_accepted[0]
            else:
                note = "We cannot do this within the agreed hours; it is out of scope."
                status = statuses.directive_pushed_back[0]
            at = self._after(issue, script.pace(self.profile).response_minutes)
            await self._change(issue["id"], note, status, at, self._lead)
            done.append(f"issue {issue['id']}: directive answered {status}")
        return done

    async def _work(self, rung: Json) -> list[str]:
        """The rung's whole work: started, tickets, time, runbook, wiki, invoice, delivered."""
        rung = await self.redmine.get(f"/issues/{rung['id']}.json", {"include": "attachments"})
        rung = rung["issue"]
        start = await self._handed_over(rung)
        delivery = self._delivery(rung, start)
        name = (mapping.ref_of(rung["subject"]) or str(rung["id"])).split(":")[-2]
        done = []
        if rung["status"]["name"] == "New":
            await self._change(
                rung["id"], "Work started.", "In Progress", start + timedelta(minutes=30)
            )
            done.append(f"rung {rung['id']}: In Progress")
        done += await self._tickets(rung, start, delivery)
        entries = await self._time_entries(rung, delivery)
        done += await self._runbook(rung, name, delivery)
        done += await self._invoice(rung["id"], name, entries, delivery)
        delivered = self.section.statuses.delivered[0]
        await self._change(rung["id"], "Delivered: see the runbook.", delivered, delivery)
        return [*done, f"rung {rung['id']}: {delivered}"]

    async def _handed_over(self, rung: Json) -> datetime:
        """When the rung was handed over in simulated time, which never runs backwards: the
        engine opens the next rung as soon as it reads the last one delivered, at a
        simulated time the real clock has not reached. With a clock, the issue's creation
        is moved there too, so the engine's window for the rung starts where its work does."""
        created = mapping.redmine_time(rung["created_on"])
        if self.clock is None or rung["status"]["name"] != "New":
            return created
        others = await self.redmine.issues(self.section.rung_tracker, RUNG_SUFFIX)
        latest = max(
            (mapping.redmine_time(i["updated_on"]) for i in others if i["id"] != rung["id"]),
            default=created,
        )
        if latest <= created:
            return created
        self.clock.issue_created(rung["id"], latest)
        rung["created_on"] = latest.isoformat()
        return latest

    def _delivery(self, rung: Json, start: datetime) -> datetime:
        due = rung.get("due_date")
        days = (date.fromisoformat(due) - start.date()).days if due else DEFAULT_DUE_DAYS
        rng = random.Random(f"{self._key(rung)}:delivery")
        return start + timedelta(days=delivery_fraction(self.profile, rng) * max(days, 1))

    async def _tickets(self, rung: Json, start: datetime, delivery: datetime) -> list[str]:
        rung_id = rung["id"]
        scripts = script.ticket_scripts(
            profile=self.profile,
            key=self._key(rung),
            rung_id=rung_id,
            start=start,
            delivery=delivery,
            count=self.tickets_per_rung,
        )
        found = await self.redmine.issues(
            self.section.ticket_tracker, None, subject=f"(ticket {rung_id}."
        )
        by_subject = {i["subject"]: i["id"] for i in found}
        done = []
        for n, ticket in enumerate(scripts):
            issue_id = by_subject.get(ticket.subject)
            if issue_id is None:
                issue_id = await self._open_ticket(ticket)
                done.append(f"ticket {issue_id}: opened ({ticket.priority})")
            issue = (await self.redmine.get(f"/issues/{issue_id}.json", {"include": "journals"}))[
                "issue"
            ]
            for act in ticket.acts[len(issue.get("journals", [])) :]:
                login = self._login(act.by, n)
                await self._change(issue_id, act.note, act.status, act.at, login, act.closes)
                done.append(f"ticket {issue_id}: {act.by} {act.status or 'note'}")
        return done

    async def _open_ticket(self, ticket: script.TicketScript) -> int:
        ids = await self.redmine.ids()
        fields = {
            "project_id": self.section.project,
            "tracker_id": ids["trackers"][self.section.ticket_tracker],
            "priority_id": ids["priorities"][ticket.priority],
            "subject": ticket.subject,
            "description": f"{ticket.subject}. Please help.",
        }
        created = await self.redmine.send(
            "POST", "/issues.json", self.client_user, {"issue": fields}
        )
        issue_id = int(created["issue"]["id"])
        if self.clock is not None:
            self.clock.issue_created(issue_id, ticket.opened_at)
        return issue_id

    async def _time_entries(self, rung: Json, delivery: datetime) -> list[tuple[int, Decimal, str]]:
        """One time entry per role on the rung, billed as the profile bills; (id, hours, role)."""
        ids = await self.redmine.ids()
        activity_of = {role: activity for activity, role in self.section.activities.items()}
        have = await self.redmine.get(
            "/time_entries.json", {"issue_id": str(rung["id"]), "limit": "100"}
        )
        booked = {e["activity"]["name"]: e for e in have["time_entries"]}
        hours = script.rung_hours(
            rung.get("description") or "", rung.get("estimated_hours"), sorted(activity_of)
        )
        rng = random.Random(f"{self._key(rung)}:hours")
        entries = []
        for n, (role, estimated) in enumerate(sorted(hours.items())):
            billed = billed_hours(self.profile, estimated, rng)
            activity = activity_of.get(role)
            if activity is None:
                raise RedmineVendorError(
                    f"rung {rung['id']}: no activity of redmine.activities is priced as {role}: "
                    f"add one, e.g. Development: {role}"
                )
            entry = booked.get(activity)
            if entry is None:
                body = {
                    "issue_id": rung["id"],
                    "hours": float(billed),
                    "activity_id": ids["activities"][activity],
                    "comments": f"{role} work on the rung",
                }
                login = self._login(script.VENDOR, n)
                sent = await self.redmine.send(
                    "POST", "/time_entries.json", login, {"time_entry": body}
                )
                entry = sent["time_entry"]
                if self.clock is not None:
                    self.clock.time_logged(entry["id"], delivery - timedelta(hours=2))
            entries.append((int(entry["id"]), Decimal(str(entry["hours"])), role))
        return entries

    async def _runbook(self, rung: Json, name: str, delivery: datetime) -> list[str]:
        filename = f"runbook-{name}.md"
        text = script.runbook(name, mapping.ref_of(rung["subject"]) or rung["subject"])
        done = []
        if not any(a["filename"] == filename for a in rung.get("attachments", [])):
            token = await self.redmine.upload(filename, text.encode(), self._lead)
            uploads = [{"token": token, "filename": filename, "content_type": "text/markdown"}]
            await self.redmine.send(
                "PUT", f"/issues/{rung['id']}.json", self._lead, {"issue": {"uploads": uploads}}
            )
            if self.clock is not None:
                self.clock.attachment_added(
                    filename, delivery - timedelta(hours=1), issue=rung["id"]
                )
                self.clock.issue_changed(rung["id"], delivery - timedelta(hours=1))
            done.append(f"rung {rung['id']}: attached {filename}")
        if not self.profile.hostile_exit and await self._wiki(name, text, delivery):
            done.append(f"wiki Runbook: section {name}")
        return done

    async def _wiki(self, name: str, text: str, delivery: datetime) -> bool:
        """Add the rung's runbook to the `Runbook` wiki page; False when it is there already."""
        path = f"/projects/{self.section.project}/wiki/Runbook.json"
        old = await self.redmine.wiki_text("Runbook")
        if f"({name})" in old:
            return False
        page = {"text": f"{old}\n\n{text}".strip(), "comments": f"runbook for {name}"}
        await self.redmine.send("PUT", path, self._lead, {"wiki_page": page})
        if self.clock is not None:
            at = delivery - timedelta(minutes=30)
            self.clock.wiki_edited(self.section.project, "Runbook", at, created=not old)
        return True

    async def _invoice(
        self, rung_id: int, name: str, entries: list[tuple[int, Decimal, str]], delivery: datetime
    ) -> list[str]:
        filename = f"invoice-{name}.csv"
        files = await self.redmine.get(f"/projects/{self.section.project}/files.json")
        if any(f["filename"] == filename for f in files["files"]):
            return []
        lines = [(i, hours, self.rate_card[role]) for i, hours, role in entries]
        text = script.invoice_csv(
            number=f"INV-{rung_id}", issued=delivery, currency=self.currency, lines=lines
        )
        token = await self.redmine.upload(filename, text.encode(), self._lead)
        body = {"file": {"token": token, "filename": filename}}
        await self.redmine.send(
            "POST", f"/projects/{self.section.project}/files.json", self._lead, body
        )
        if self.clock is not None:
            self.clock.attachment_added(filename, delivery, project=self.section.project)
        return [f"files: {filename}"]

    async def _change(
        self,
        issue_id: int,
        note: str,
        status: str | None,
        at: datetime,
        login: str | None = None,
        closes: bool = False,
    ) -> None:
        """One journal on an issue: a note, and a status when given, re-timed to `at`."""
        ids = await self.redmine.ids()
        fields: Json = {"notes": note}
        if status is not None:
            fields["status_id"] = ids["statuses"][status]
        await self.redmine.send(
            "PUT", f"/issues/{issue_id}.json", login or self._lead, {"issue": fields}
        )
        if self.clock is not None:
            self.clock.issue_changed(issue_id, at, closed=closes)

    def _after(self, issue: Json, minutes: tuple[float, float]) -> datetime:
        rng = random.Random(f"{self._key(issue)}:answer")
        return mapping.redmine_time(issue["created_on"]) + timedelta(minutes=rng.uniform(*minutes))

    def _key(self, issue: Json) -> str:
        """What seeds an issue's randomness: the seed and the issue's reference."""
        return f"{self.seed}:{mapping.ref_of(issue['subject']) or issue['id']}"

    @property
    def _lead(self) -> str:
        return self.section.vendor_staff[0]

    def _login(self, who: str, n: int) -> str:
        if who == script.CLIENT:
            return self.client_user
        if who == script.LEAD:
            return self._lead
        return self.section.vendor_staff[n % len(self.section.vendor_staff)]
