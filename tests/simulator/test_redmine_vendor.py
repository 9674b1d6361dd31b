"""The simulated vendor inside a real Redmine, read back through the Redmine adapter: the
engine opens the issues, the vendor works them on a re-timed clock, the adapter measures."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from adapters.contract import (
    AckRequest,
    DirectiveCreate,
    DirectiveOutcome,
    ExpectationTerms,
    Invoice,
    WorkItemCreate,
    WorkStatus,
)
from adapters.redmine import mapping
from adapters.redmine.adapter import RedmineAdapter
from config import Settings
from models.redmine import RedmineSection
from models.ticket_metrics import measure, ticket_metric
from models.tickets import Side, Ticket
from simulator.config import ProfileName
from simulator.profiles import PROFILES
from simulator.redmine_clock import RedmineClock
from simulator.redmine_vendor import RedmineVendor
from tests.redmine import Redmine

pytestmark = pytest.mark.redmine

ACTIVITIES = {"Development": "engineer", "Design": "lead"}
RATES = {"engineer": Decimal(95), "lead": Decimal(140)}
HOURS = {"engineer": Decimal(8), "lead": Decimal(4)}
RUNG = "acme:e1:rung-1:work-item"
FAST = Settings(vendor_backoff_initial=0.001, vendor_backoff_max=0.01, vendor_max_attempts=2)


@dataclass
class Scene:
    """A project with a Manager and a Developer of the vendor's, a client Reporter, the
    engine's adapter, and the rung, expectations and directive issues the engine opened."""

    project: str
    client: str
    section: RedmineSection
    engine: RedmineAdapter
    rung: str
    directive: str


def member(redmine: Redmine, project: str, role: str) -> str:
    login = f"u{uuid.uuid4().hex[:10]}"
    user_id, _ = redmine.create_user(login)
    redmine.add_member(project, user_id, role)
    return login


async def scene(redmine: Redmine) -> Scene:
    project = redmine.new_project()
    # Redmine's default workflow leaves rejecting and reopening to a Manager.
    staff = [member(redmine, project, "Manager"), member(redmine, project, "Developer")]
    client = member(redmine, project, "Reporter")
    section = RedmineSection(project=project, vendor_staff=staff, activities=ACTIVITIES)
    engine = RedmineAdapter(
        vendor="Acme",
        base_url=redmine.url,
        token=SecretStr(redmine.admin_key),
        section=section,
        rate_card=RATES,
        currency="USD",
        settings=FAST,
    )
    await engine.acknowledge("acme", terms(), "acme:e1:onboarding:acknowledge")
    order = WorkItemCreate(
        client_ref=RUNG,
        trial="acme",
        title="Run the service desk",
        hours=HOURS,
        rates=RATES,
        currency="USD",
        due_in_days=5,
    )
    rung = await engine.ensure_work_item(order, RUNG)
    ask = DirectiveCreate(client_ref="acme:e1:d-1", text="Use the client's VPN", area="tools")
    directive = await engine.post_directive("acme", ask, "acme:e1:d-1")
    return Scene(project, client, section, engine, rung.id, directive.id)


def terms() -> AckRequest:
    target = ExpectationTerms(
        id="fr", metric="p90_first_response_minutes", comparator="<=", target=30, unit="minutes"
    )
    return AckRequest(expectations=[target])


def vendor(redmine: Redmine, scene: Scene, profile: ProfileName, tickets: int) -> RedmineVendor:
    assert redmine.database is not None
    return RedmineVendor(
        url=redmine.url,
        admin_key=redmine.admin_key,
        section=scene.section,
        client_user=scene.client,
        profile=PROFILES[profile],
        rate_card=RATES,
        currency="USD",
        seed=1,
        clock=RedmineClock(redmine.database),
        tickets_per_rung=tickets,
    )


def ids(client: httpx.Client, kind: str, name: str = "Support") -> int:
    """The id of the tracker, status or activity named `name`."""
    listed = client.get(f"/{kind}.json").json()[kind.rsplit("/", 1)[-1]]
    return int(next(i["id"] for i in listed if i["name"] == name))


def invoice_in_files(redmine: Redmine, project: str) -> Invoice:
    """The one invoice in the project's Files, parsed as the engine parses it."""
    (listed,) = redmine.admin.get(f"/projects/{project}/files.json").json()["files"]
    content = redmine.admin.get(listed["content_url"]).text
    (invoice,) = mapping.invoices(content, listed["filename"], "acme")
    return invoice


def minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def first_response(ticket: Ticket) -> float:
    first = next(e for e in ticket.events if e.side == Side.VENDOR)
    return minutes(ticket.opened_at, first.at)


def resolution(ticket: Ticket) -> float:
    return minutes(ticket.opened_at, next(e.at for e in ticket.events if e.closed))


def p90_first_response(tickets: list[Ticket]) -> Decimal | None:
    start = min(t.opened_at for t in tickets) - timedelta(days=1)
    result = measure(
        ticket_metric("p90_first_response_minutes"),
        tickets,
        window_start=start,
        window_end=start + timedelta(days=30),
        waiting_statuses=frozenset({"Feedback"}),
    )
    return result.value


async def test_a_reliable_vendor_works_the_rung_on_the_simulated_clock(redmine: Redmine) -> None:
    scene_ = await scene(redmine)
    engine = scene_.engine
    played = vendor(redmine, scene_, ProfileName.RELIABLE, tickets=10)
    lines = await played.step()
    assert lines and any("Resolved" in line for line in lines)
    assert await played.step() == []  # nothing is done twice
    await played.aclose()
    fresh = vendor(redmine, scene_, ProfileName.RELIABLE, tickets=10)
    assert await fresh.step() == []  # what was done is read from Redmine, not remembered
    await fresh.aclose()

    item = await engine.work_item(scene_.rung)
    assert item.status == WorkStatus.DELIVERED and item.delivered_at is not None
    assert 0.6 * 5 <= (item.delivered_at - item.created_at) / timedelta(days=1) <= 0.8 * 5
    tickets = await engine.tickets("acme")
    assert len(tickets) == 10
    assert not {t.opened_by for t in tickets} & set(scene_.section.vendor_staff)
    priorities = Counter(t.priority for t in tickets)
    assert set(priorities) <= {"Normal", "High", "Urgent"} and len(priorities) > 1
    assert priorities.most_common(1)[0][0] == "Normal"
    for ticket in tickets:
        assert item.created_at < ticket.opened_at < item.delivered_at
        assert 5 <= first_response(ticket) <= 25
        assert 60 <= resolution(ticket) <= 360
        assert ticket.closed and all(e.public for e in ticket.events)
    waited = [t for t in tickets if any(e.status == "Feedback" for e in t.events)]
    assert all(any(e.side == Side.CLIENT for e in t.events) for t in waited)

    lines_ = await engine.timesheets("acme")
    assert {line.role for line in lines_} == {"engineer", "lead"}
    for line in lines_:
        assert HOURS[line.role] * Decimal("0.93") <= line.hours <= HOURS[line.role] * Decimal(1)
        assert line.work_item_id == scene_.rung
    assert {line.worked_on for line in lines_} == {(item.delivered_at - timedelta(hours=2)).date()}
    (invoice,) = await engine.invoices("acme")
    assert invoice == invoice_in_files(redmine, scene_.project)
    assert invoice.amount == sum(line.amount for line in lines_)
    assert sorted(invoice.timesheet_line_ids) == sorted(line.id for line in lines_)
    (runbook,) = await engine.deliverables(scene_.rung)
    assert runbook.name == "runbook-rung-1.md" and runbook.size > 3000
    assert runbook.submitted_at <= item.delivered_at
    assert (
        await engine.acknowledge("acme", terms(), "acme:e1:onboarding:acknowledge")
    ).acknowledged
    directive = await engine.directive(scene_.directive)
    assert directive.outcome == DirectiveOutcome.ACCEPTED and directive.answer
    wiki = redmine.admin.get(f"/projects/{scene_.project}/wiki/Runbook.json")
    assert "rung-1" in wiki.json()["wiki_page"]["text"]
    await engine.aclose()


async def test_a_poor_vendor_is_slow_late_and_pushes_back(redmine: Redmine) -> None:
    reliable, poor = await scene(redmine), await scene(redmine)
    for one, profile in ((reliable, ProfileName.RELIABLE), (poor, ProfileName.POOR)):
        played = vendor(redmine, one, profile, tickets=10)
        await played.step()
        await played.aclose()
    fast, slow = await reliable.engine.tickets("acme"), await poor.engine.tickets("acme")
    assert (p90_first_response(fast) or 0) <= 30 < (p90_first_response(slow) or 0)
    for ticket in slow:
        assert 40 <= first_response(ticket) <= 150
        assert 6 * 60 <= resolution(ticket) <= 30 * 60
    assert any(sum(1 for e in t.events if e.closed) > 1 for t in slow)  # reopened, closed again
    assert not any(sum(1 for e in t.events if e.closed) > 1 for t in fast)
    item = await poor.engine.work_item(poor.rung)
    assert item.delivered_at is not None
    assert (item.delivered_at - item.created_at) / timedelta(days=1) >= 1.2 * 5
    directive = await poor.engine.directive(poor.directive)
    assert directive.outcome == DirectiveOutcome.PUSHED_BACK
    for one in (reliable, poor):
        await one.engine.aclose()


async def test_a_ghost_acknowledges_then_goes_silent(redmine: Redmine) -> None:
    scene_ = await scene(redmine)
    played = vendor(redmine, scene_, ProfileName.GHOST, tickets=3)
    lines = await played.step()
    assert lines == [line for line in lines if "acknowledged" in line] and lines
    assert await played.step() == []
    await played.aclose()
    rung = redmine.admin.get(f"/issues/{scene_.rung}.json", params={"include": "journals"})
    assert rung.json()["issue"]["status"]["name"] == "New"
    assert rung.json()["issue"]["journals"] == []
    assert await scene_.engine.tickets("acme") == []
    assert await scene_.engine.timesheets("acme") == []
    await scene_.engine.aclose()


async def test_a_hostile_exit_delivers_but_writes_no_wiki(redmine: Redmine) -> None:
    scene_ = await scene(redmine)
    played = vendor(redmine, scene_, ProfileName.HOSTILE_EXIT, tickets=1)
    await played.step()
    await played.aclose()
    assert (await scene_.engine.work_item(scene_.rung)).status == WorkStatus.DELIVERED
    wiki = redmine.admin.get(f"/projects/{scene_.project}/wiki/Runbook.json")
    assert wiki.status_code == 404
    await scene_.engine.aclose()


async def test_run_plays_rounds_until_stopped(redmine: Redmine) -> None:
    scene_ = await scene(redmine)
    played = vendor(redmine, scene_, ProfileName.RELIABLE, tickets=1)
    stop = asyncio.Event()
    rounds = asyncio.create_task(played.run(stop, every=0.05))
    for _ in range(300):
        if (await scene_.engine.work_item(scene_.rung)).status == WorkStatus.DELIVERED:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(rounds, 30)
    await played.aclose()
    assert (await scene_.engine.work_item(scene_.rung)).status == WorkStatus.DELIVERED
    assert len(await scene_.engine.tickets("acme")) == 1
    await scene_.engine.aclose()


async def test_the_clock_retimes_what_the_api_shows(redmine: Redmine) -> None:
    project = redmine.new_project()
    login = member(redmine, project, "Manager")
    assert redmine.database is not None
    clock = RedmineClock(redmine.database)
    at = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    with redmine.as_user(login) as user:
        body = {"project_id": project, "subject": "Printer", "tracker_id": ids(user, "trackers")}
        issue = user.post("/issues.json", json={"issue": body}).json()["issue"]["id"]
        closed = {"notes": "Done", "status_id": ids(user, "issue_statuses", "Closed")}
        user.put(f"/issues/{issue}.json", json={"issue": closed})
        activity = ids(user, "enumerations/time_entry_activities", "Development")
        entry = {"issue_id": issue, "hours": 1, "activity_id": activity}
        logged = user.post("/time_entries.json", json={"time_entry": entry}).json()
        user.put(f"/projects/{project}/wiki/Runbook.json", json={"wiki_page": {"text": "x"}})
    clock.issue_created(issue, at)
    clock.issue_changed(issue, at + timedelta(minutes=20), closed=True)
    clock.time_logged(logged["time_entry"]["id"], at + timedelta(days=1))
    clock.wiki_edited(project, "Runbook", at + timedelta(hours=2), created=True)
    read = redmine.admin.get(f"/issues/{issue}.json", params={"include": "journals"})
    shown = read.json()["issue"]
    assert shown["created_on"] == "2026-01-05T09:30:00Z"
    assert shown["closed_on"] == shown["updated_on"] == "2026-01-05T09:50:00Z"
    assert shown["journals"][0]["created_on"] == "2026-01-05T09:50:00Z"
    entries = redmine.admin.get("/time_entries.json", params={"issue_id": issue}).json()
    assert entries["time_entries"][0]["spent_on"] == "2026-01-06"
    page = redmine.admin.get(f"/projects/{project}/wiki/Runbook.json").json()["wiki_page"]
    assert page["created_on"] == page["updated_on"] == "2026-01-05T11:30:00Z"
