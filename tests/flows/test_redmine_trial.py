"""Trials run end to end against a real Redmine, with the simulator playing the vendor inside
it: no Vendor Work API anywhere. The values measured from tickets are checked against
values recomputed here from Redmine's own API."""

from __future__ import annotations

import asyncio
import math
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import httpx
import pytest
from sqlmodel import select
from typer.testing import CliRunner

from adapters.redmine.adapter import CLOCK_MARGIN, RedmineAdapter
from cli.main import app
from config import Settings
from flows.monitor import monitor
from flows.trial import trial
from models.evidence import Evidence
from models.plan import Plan
from models.tables import AuditEntry, Decision, ExitStep, Measurement, PilotTask, Trial
from planfile import load_plan, require_valid
from simulator.config import ProfileName
from simulator.profiles import PROFILES
from simulator.redmine_vendor import RedmineClock, RedmineVendor
from store.db import read_session, write_session
from store.trials import create_trial
from store.watches import mark_carried_on
from tasks.connection import vendor_api
from tasks.monitor import polled_changes, watch_trials
from tests.conftest import EXAMPLES
from tests.flows.test_crash import engine, kill_when
from tests.flows.test_run_command import TRIALS, environment
from tests.redmine import Redmine, redmine_server

pytestmark = pytest.mark.e2e
KEY_VARIABLE = "NORTHWIND_REDMINE_KEY"


class Vendor:
    """The simulated vendor acting in Redmine on a thread of its own, until stopped."""

    def __init__(self, vendor: RedmineVendor) -> None:
        self.vendor, self.acts = vendor, 0
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self._loop.run_until_complete(self._rounds())

    async def _rounds(self) -> None:
        try:
            await self.vendor.run(self._stop, every=0.2)
        finally:
            await self.vendor.aclose()

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)


Start = Callable[..., tuple[str, Plan]]


@pytest.fixture
def redmine_trial(
    redmine: Redmine,
    redmine_project: str,
    settings: Settings,
    prefect_api: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Start]:
    """Store the Redmine example as a trial in a project of its own, with the vendor's
    staff, a client service account and a requester, and start the simulated vendor."""
    started: list[Vendor] = []
    server = redmine

    def start(
        profile: ProfileName, *, clock: bool = True, store: bool = True, on: Redmine | None = None
    ) -> tuple[str, Plan]:
        """The trial's id and plan, written to `plan.yaml` in the test's directory; stored
        unless `store` is False (for `trials run PLAN` to store it). In a new project of the
        Redmine `on` when given (one the test stops and starts), else the session's."""
        redmine = server if on is None else on
        project = redmine_project if on is None else on.new_project()
        logins = {n: f"{project}-{n}" for n in ("alice", "bob", "svc", "requester")}
        for name, login in logins.items():
            user_id, _ = redmine.create_user(login)
            role = {"requester": "Reporter", "svc": "Reporter"}.get(name, "Manager")
            redmine.add_member(project, user_id, role)
        monkeypatch.setenv(KEY_VARIABLE, redmine.admin_key)
        text = (EXAMPLES / "redmine-helpdesk.yaml").read_text()
        start_cal, end_cal = text.index("calendar:"), text.index("currency:")
        text = text[:start_cal] + text[end_cal:]  # wall-clock minutes, recomputed plainly here
        satisfaction = text.index("  - {id: satisfaction")
        text = text[:satisfaction] + text[text.index("pilot:") :]
        for old, new in (
            ("http://127.0.0.1:3000", redmine.url),
            ("project: northwind-helpdesk", f"project: {project}"),
            ("[nw-alice, nw-bob]", f"[{logins['alice']}, {logins['bob']}]"),
            ("[svc-backup]", f"[{logins['svc']}]"),
            ("trial: northwind-helpdesk-2027", f"trial: {project}"),
            ("name: Northwind IT Services", f"name: Vendor of {project}"),
        ):
            assert old in text, old
            text = text.replace(old, new)
        plan_file = tmp_path / "plan.yaml"
        plan_file.write_text(text)
        plan = require_valid(load_plan(plan_file, settings.policy))
        if store:
            with write_session(settings) as session:
                create_trial(session=session, plan=plan, actor="tester")
        assert plan.redmine is not None
        vendor = RedmineVendor(
            url=redmine.url,
            admin_key=redmine.admin_key,
            section=plan.redmine,
            client_user=logins["requester"],
            profile=PROFILES[profile],
            rate_card=dict(plan.rate_card),
            currency=plan.currency,
            seed=7,
            clock=RedmineClock(redmine.database) if clock else None,
        )
        started.append(Vendor(vendor))
        return plan.trial, plan

    yield start
    for vendor in started:
        vendor.stop()


def first_response_p90(
    redmine: Redmine, project: str, staff: set[str], window: tuple[str, str]
) -> Decimal:
    """The p90 first response in minutes, recomputed plainly from Redmine's own API: each
    Support ticket opened in the window, from created_on to the first journal by a vendor
    user, or to the window's end if none came before it; the nearest rank, ceil(0.9 n)."""
    with redmine.client() as http:
        staff_ids = set()
        for login in staff:
            users = http.get("/users.json", params={"name": login}).json()["users"]
            staff_ids |= {u["id"] for u in users if u["login"] == login}
        listed = http.get(
            "/issues.json",
            params={"project_id": project, "tracker_id": "3", "status_id": "*", "limit": "100"},
        ).json()["issues"]
        minutes = []
        for entry in listed:
            opened = _time(entry["created_on"])
            if not _time(window[0]) <= opened < _time(window[1]):
                continue
            issue = http.get(f"/issues/{entry['id']}.json", params={"include": "journals"})
            answers = [
                _time(j["created_on"])
                for j in issue.json()["issue"]["journals"]
                if j["user"]["id"] in staff_ids and not j.get("private_notes")
            ]
            # the window's end cuts the clock: a later answer counts as "so far" (the rule)
            stop = min([*answers, _time(window[1])])
            minutes.append(Decimal(str((stop - opened).total_seconds())) / 60)
    minutes.sort()
    p90 = minutes[math.ceil(Decimal("0.9") * len(minutes)) - 1]
    return p90.quantize(Decimal("0.0001"), ROUND_HALF_UP)  # as the store keeps it


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def ticket_values(settings: Settings, expectation: str) -> list[tuple[Decimal, Evidence]]:
    with read_session(settings) as session:
        rows = session.exec(
            select(Measurement).where(Measurement.source == "tickets")  # type: ignore[arg-type]
        ).all()
        found = []
        for row in rows:
            evidence = Evidence.model_validate_json(row.evidence_json)
            if expectation in row.idempotency_key:
                found.append((row.value, evidence))
    return found


def test_a_reliable_vendor_in_redmine_climbs_the_ladder_measured_from_its_tickets(
    settings: Settings, redmine: Redmine, redmine_trial: Start, tmp_path: Path
) -> None:
    """From `trials run PLAN --auto`, as a vendor manager starts it, to its evaluation."""
    slug, plan = redmine_trial(ProfileName.RELIABLE, store=False)
    ran = subprocess.run(
        [TRIALS, "run", str(tmp_path / "plan.yaml"), "--auto", "--wait", "60"],
        env=environment(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"Trial {slug}: waiting." in ran.stdout
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        rungs = session.exec(select(PilotTask.status).where(PilotTask.trial_id == row.id)).all()
        notes = session.exec(select(AuditEntry.action, AuditEntry.reason)).all()
    assert list(rungs) == ["accepted"] * 3, "\n".join(f"{a}: {r}" for a, r in notes)
    # It would expand, but the plan has no expansion to open: a person's call, not policy's.
    assert (row.phase, row.waiting_for) == ("evaluating", "decision at evaluation")
    values = ticket_values(settings, "first-response")
    assert values, "first response measured from the tickets"
    for _, evidence in values:
        assert evidence.label.startswith("measured from ") and evidence.tickets
        assert all(t.url.startswith(redmine.url) for t in evidence.tickets)
        window = evidence.note  # the sentence names the window; the value is recomputed
        assert window
    assert plan.redmine is not None
    # every value recorded equals the one recomputed from Redmine's journals
    with read_session(settings) as session:
        rows = session.exec(
            select(Measurement, PilotTask.rung_key)
            .join(PilotTask, PilotTask.id == Measurement.pilot_task_id)  # type: ignore[arg-type]
            .where(Measurement.source == "tickets")  # type: ignore[arg-type]
        ).all()
    checked = 0
    for measurement, rung in rows:
        if ":first-response" not in measurement.idempotency_key:
            continue
        evidence = Evidence.model_validate_json(measurement.evidence_json)
        window = _rung_window(redmine, plan.redmine.project, rung)
        staff = set(plan.redmine.vendor_staff)
        expected = first_response_p90(redmine, plan.redmine.project, staff, window)
        assert measurement.value == expected, (rung, evidence.note)
        assert measurement.value <= Decimal(30)
        checked += 1
    assert checked == 3

    # Where each number came from: `trials show` names the tickets, the report links them.
    shown = CliRunner().invoke(app, ["show", slug], env={"COLUMNS": "160"})
    assert shown.exit_code == 0, shown.output
    assert "measured from 10 tickets: #" in shown.output
    written = CliRunner().invoke(app, ["report", slug, "--out", str(tmp_path)])
    assert written.exit_code == 0, written.output
    markdown = (tmp_path / f"{slug}.md").read_text()
    html = (tmp_path / f"{slug}.html").read_text()
    assert f"]({redmine.url}/issues/" in markdown and f'href="{redmine.url}/issues/' in html
    assert "p90 first response time of 10 tickets" in markdown


def _rung_window(redmine: Redmine, project: str, rung: str) -> tuple[str, str]:
    """The rung issue's creation and the time it was moved to Resolved, from Redmine."""
    with redmine.client() as http:
        issues = http.get(
            "/issues.json",
            params={"project_id": project, "status_id": "*", "subject": f"~:{rung}:work-item]"},
        ).json()["issues"]
        [issue] = issues
        full = http.get(f"/issues/{issue['id']}.json", params={"include": "journals"}).json()
    journals = full["issue"]["journals"]
    resolved = [
        j["created_on"]
        for j in journals
        for d in j["details"]
        if d["name"] == "status_id" and d["new_value"] == "3"
    ]
    return full["issue"]["created_on"], resolved[0]


async def test_a_poor_vendor_in_redmine_is_exited_and_its_access_removed(
    settings: Settings, redmine: Redmine, redmine_trial: Start
) -> None:
    slug, plan = redmine_trial(ProfileName.POOR)
    assert await trial(slug, decisions="auto", wait_seconds=60) == "closed"
    with read_session(settings) as session:
        choices = session.exec(select(Decision.choice)).all()
        exits = session.exec(select(ExitStep.kind, ExitStep.status)).all()
    assert "exit" in choices
    assert {status for _, status in exits} == {"done"}, exits
    assert plan.redmine is not None
    with redmine.client() as http:
        members = http.get(f"/projects/{plan.redmine.project}/memberships.json").json()
    left = {m["user"]["name"] for m in members["memberships"] if "user" in m}
    assert not any("alice" in name or "bob" in name for name in left)
    values = ticket_values(settings, "first-response")
    assert values and any(value > Decimal(30) for value, _ in values)


async def test_a_ghost_vendor_in_redmine_leaves_the_trial_waiting_with_one_issue(
    settings: Settings, redmine: Redmine, redmine_trial: Start
) -> None:
    slug, plan = redmine_trial(ProfileName.GHOST)
    assert await trial(slug, decisions="auto", wait_seconds=3) == "waiting"
    assert await trial(slug, decisions="auto", wait_seconds=3) == "waiting"  # a rerun
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
    assert row.waiting_for and "deliver rung-1" in row.waiting_for
    assert plan.redmine is not None
    with redmine.client() as http:
        found = http.get(
            "/issues.json",
            params={"project_id": plan.redmine.project, "status_id": "*", "tracker_id": "2"},
        ).json()
    rung_issues = [i for i in found["issues"] if i["subject"].endswith("finance team")]
    assert len(rung_issues) == 1, "a rerun looked the rung's issue up, and made none"


def read(redmine: Redmine, path: str, key: str, **params: str) -> list[dict]:  # type: ignore[type-arg]
    """A list from Redmine's API; asked again while a busy Redmine answers 5xx (its SQLite
    is written by the engine, the simulated vendor and its clock at once)."""
    for _ in range(50):
        with redmine.client() as http:
            response = http.get(path, params=params)
        if response.status_code < 500:
            response.raise_for_status()
            found: list[dict] = response.json()[key]  # type: ignore[type-arg]
            return found
        time.sleep(0.2)
    raise AssertionError(f"{path}: {response.status_code} {response.text[:200]}")


def rung_issues(redmine: Redmine, project: str) -> list[str]:
    """The subjects of the engine's rung issues in the project, as Redmine lists them."""
    found = read(
        redmine,
        "/issues.json",
        "issues",
        project_id=project,
        status_id="*",
        subject="~:work-item]",
    )
    return [issue["subject"] for issue in found]


@pytest.mark.postgres
async def test_kills_against_redmine_leave_each_side_effect_once(
    settings: Settings, redmine: Redmine, redmine_trial: Start
) -> None:
    slug, plan = redmine_trial(ProfileName.POOR)
    assert plan.redmine is not None
    project = plan.redmine.project

    def issue_made() -> bool:  # between the POST and the store recording its answer, often
        return len(rung_issues(redmine, project)) >= 1

    def second_issue_made() -> bool:
        return len(rung_issues(redmine, project)) >= 2

    def memberships() -> list[int]:
        found = read(redmine, f"/projects/{project}/memberships.json", "memberships")
        return [m["user"]["id"] for m in found if "user" in m]

    members_before = memberships()

    def revoked_one() -> bool:
        return len(memberships()) < len(members_before)

    kills = [
        kill_when(engine(slug), point) for point in (issue_made, second_issue_made, revoked_one)
    ]
    final = engine(slug)
    output, _ = final.communicate(timeout=300)
    assert final.returncode == 0, output
    assert sum(kills) >= 2, kills  # the engine really died mid-way, more than once

    subjects = rung_issues(redmine, project)
    assert len(subjects) == len(set(subjects)) == 2, subjects  # rung-1, rung-2: once each
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        exits = session.exec(select(ExitStep.status)).all()
    assert row.phase == "closed" and set(exits) == {"done"}
    acks = read(
        redmine,
        "/issues.json",
        "issues",
        project_id=project,
        status_id="*",
        subject="~:acknowledge]",
    )
    assert len(acks) == 1
    assert len(memberships()) == 1  # only the requester, who is nobody's grant, is left


async def test_the_monitor_asks_redmine_once_per_trial_and_carries_on_only_on_a_change(
    settings: Settings, redmine: Redmine, redmine_trial: Start
) -> None:
    slug, plan = redmine_trial(ProfileName.GHOST, clock=False)  # it acts in real time
    assert plan.redmine is not None
    assert await trial(slug, decisions="auto", wait_seconds=2) == "waiting"  # for rung-1
    # The last run as though it were past the margin the poll allows for the two clocks
    # after the vendor's acknowledgement (which is a change, made a moment ago).
    with write_session(settings) as session:
        mark_carried_on(session=session, slugs=[slug], at=datetime.now(UTC) + CLOCK_MARGIN)
    [watch] = [w for w in await watch_trials.fn() if w.slug == slug]
    assert watch.polled is not None and watch.polled.adapter == "redmine"
    api = await vendor_api(watch.polled)
    assert isinstance(api, RedmineAdapter)

    # Nothing changed but the engine's own new issue: no news, no run, one request.
    assert await polled_changes.fn([watch]) == []
    calls = api.rest.stats.calls
    assert await monitor(advance="here", wait_seconds=2) == {
        "active": 1,
        "escalated": 0,
        "advanced": 0,
    }
    assert api.rest.stats.calls - calls == 1

    # The vendor writes on the rung's issue: the next round carries the trial on.
    [rung] = read(
        redmine,
        "/issues.json",
        "issues",
        project_id=plan.redmine.project,
        status_id="*",
        subject="~:rung-1:work-item]",
    )
    with redmine.as_user(plan.redmine.vendor_staff[0]) as http:
        http.put(
            f"/issues/{rung['id']}.json", json={"issue": {"notes": "Starting Monday."}}
        ).raise_for_status()
    assert (await monitor(advance="here", wait_seconds=2))["advanced"] == 1


def trials_run(slug: str) -> subprocess.Popen[str]:
    """`trials run SLUG --auto` as a process, against this test's store and Prefect API."""
    return subprocess.Popen(
        [TRIALS, "run", slug, "--auto", "--wait", "90"],
        env=environment(),
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _until(ready: Callable[[], bool], process: subprocess.Popen[str], what: str) -> None:
    deadline = time.monotonic() + 180
    while not ready():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"never {what}: {process.communicate()}")
        time.sleep(0.1)


def test_redmine_down_mid_ladder_is_said_and_ridden_out_and_nothing_is_made_twice(
    settings: Settings, redmine_template: Path, redmine_trial: Start, tmp_path: Path
) -> None:
    """Redmine stopped mid-ladder, as a server goes down. A run whose Redmine stays down
    retries (the client's policy, then the task's), then ends with one line and exit 1, the
    trial left as it was. Once Redmine is back the rerun carries on, rides out a short
    outage of its own, and climbs to the evaluation with each issue made once."""
    directory = tmp_path / "redmine"
    with redmine_server(redmine_template, directory) as first:
        port = int(first.url.rsplit(":", 1)[1])
        slug, plan = redmine_trial(ProfileName.RELIABLE, on=first)
        assert plan.redmine is not None
        project = plan.redmine.project
        running = trials_run(slug)
        _until(lambda: len(rung_issues(first, project)) >= 1, running, "opened rung-1's issue")
    with pytest.raises(httpx.TransportError):  # really down
        httpx.get(f"{first.url}/users/current.json", timeout=2)
    out, err = running.communicate(timeout=300)
    assert running.returncode == 1, out + err
    assert "Traceback" not in out + err
    [said] = [line for line in err.splitlines() if line.startswith("Error:")]
    assert f"Vendor Vendor of {project}" in said and f"cannot reach {first.url}" in said
    assert "attempts; try again once it answers" in said
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
    assert row.phase == "piloting"

    with redmine_server(redmine_template, directory, port=port, fresh=False) as second:
        rerun = trials_run(slug)
        _until(lambda: len(rung_issues(second, project)) >= 2, rerun, "opened rung-2's issue")
    down_at = time.monotonic()
    with redmine_server(redmine_template, directory, port=port, fresh=False) as third:
        outage = time.monotonic() - down_at
        out, err = rerun.communicate(timeout=300)
        assert rerun.returncode == 0, f"after an outage of {outage:.0f} s: {out}{err}"
        assert f"Trial {slug}: waiting." in out
        subjects = rung_issues(third, project)
        acks = read(
            third,
            "/issues.json",
            "issues",
            project_id=project,
            status_id="*",
            subject="~:acknowledge]",
        )
    assert len(subjects) == len(set(subjects)) == 3, subjects
    assert len(acks) == 1
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        rungs = session.exec(select(PilotTask.status).where(PilotTask.trial_id == row.id)).all()
    assert list(rungs) == ["accepted"] * 3
    assert (row.phase, row.waiting_for) == ("evaluating", "decision at evaluation")
