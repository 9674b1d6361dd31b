"""What Debian's Redmine 5 answers over REST, checked on a real server: the facts the
Redmine adapter relies on (queries, authorship, journals, files, memberships, wiki)."""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.redmine import Redmine, rails_runner, redmine_server

pytestmark = pytest.mark.redmine

TAG = "[vt:acme-2026:rung-1]"


def vendor(redmine: Redmine, project: str, role: str = "Developer") -> str:
    """A new user with `role` in the project; its login."""
    login = f"v{uuid.uuid4().hex[:10]}"
    user_id, _ = redmine.create_user(login)
    redmine.add_member(project, user_id, role)
    return login


def create_issue(client: httpx.Client, project: str, subject: str) -> int:
    """A new Bug in the project; its id."""
    issue = {"project_id": project, "subject": subject, "tracker_id": 1}
    response = client.post("/issues.json", json={"issue": issue})
    assert response.status_code == 201, response.text
    return int(response.json()["issue"]["id"])


def upload(client: httpx.Client, name: str, content: bytes) -> str:
    """Upload bytes; the token to attach them with."""
    response = client.post(
        "/uploads.json",
        params={"filename": name},
        content=content,
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 201, response.text
    return str(response.json()["upload"]["token"])


def test_a_project_is_created_with_its_modules(redmine: Redmine, redmine_project: str) -> None:
    project = redmine.admin.get(f"/projects/{redmine_project}.json", params={"include": "trackers"})
    assert project.status_code == 200
    assert [t["name"] for t in project.json()["project"]["trackers"]] == [
        "Bug",
        "Feature",
        "Support",
    ]


@pytest.mark.parametrize(
    "query",
    [
        f"subject=~{TAG}",  # raw brackets in the URL
        "subject=~%5Bvt%3Aacme-2026%3Arung-1%5D",  # percent-encoded: the same query
        f"subject={TAG}%20Reset%20passwords",  # no `~`: the whole subject, exactly
    ],
)
def test_an_issue_is_found_by_its_tag_in_the_subject(
    redmine: Redmine, redmine_project: str, query: str
) -> None:
    wanted = create_issue(redmine.admin, redmine_project, f"{TAG} Reset passwords")
    create_issue(redmine.admin, redmine_project, "[vt:acme-2026:rung-10] Not this one")
    found = redmine.admin.get(f"/issues.json?project_id={redmine_project}&status_id=*&{query}")
    assert [issue["id"] for issue in found.json()["issues"]] == [wanted]


def test_a_note_through_switch_user_is_the_vendors_with_the_status_change(
    redmine: Redmine, redmine_project: str
) -> None:
    login = vendor(redmine, redmine_project)
    issue = create_issue(redmine.admin, redmine_project, "Reset passwords")
    with redmine.as_user(login) as client:
        me = client.get("/users/current.json").json()["user"]
        noted = client.put(
            f"/issues/{issue}.json", json={"issue": {"notes": "done", "status_id": 3}}
        )
    assert noted.status_code == 204, noted.text
    journals = redmine.admin.get(f"/issues/{issue}.json", params={"include": "journals"}).json()
    [journal] = journals["issue"]["journals"]
    assert journal["user"]["id"] == me["id"]
    assert journal["notes"] == "done"
    assert journal["details"] == [
        {"property": "attr", "name": "status_id", "old_value": "1", "new_value": "3"}
    ]


def test_statuses_say_whether_they_are_closed(redmine: Redmine) -> None:
    statuses = redmine.admin.get("/issue_statuses.json").json()["issue_statuses"]
    closed = {status["name"]: status["is_closed"] for status in statuses}
    assert closed == {
        "New": False,
        "In Progress": False,
        "Resolved": False,
        "Feedback": False,
        "Closed": True,
        "Rejected": True,
    }


def test_an_attachment_is_uploaded_attached_and_downloaded(
    redmine: Redmine, redmine_project: str
) -> None:
    login = vendor(redmine, redmine_project)
    issue = create_issue(redmine.admin, redmine_project, "Runbook")
    content = b"step 1: reset\n"
    with redmine.as_user(login) as client:
        token = upload(client, "runbook.txt", content)
        attach = {"notes": "attached", "uploads": [{"token": token, "filename": "runbook.txt"}]}
        assert client.put(f"/issues/{issue}.json", json={"issue": attach}).status_code == 204
    assert token.split(".", 1)[1] == hashlib.sha256(content).hexdigest()
    shown = redmine.admin.get(f"/issues/{issue}.json", params={"include": "attachments"})
    [attachment] = shown.json()["issue"]["attachments"]
    assert "digest" not in attachment  # an issue's attachments carry no checksum
    one = redmine.admin.get(f"/attachments/{attachment['id']}.json").json()["attachment"]
    assert (one["filesize"], one["author"]["name"]) == (len(content), "Test User")
    assert redmine.admin.get(one["content_url"]).content == content


def test_time_entries_are_listed_with_their_activity_names(
    redmine: Redmine, redmine_project: str
) -> None:
    login = vendor(redmine, redmine_project)
    issue = create_issue(redmine.admin, redmine_project, "Reset passwords")
    entry = {"issue_id": issue, "hours": 1.5, "activity_id": 9, "spent_on": "2026-01-05"}
    with redmine.as_user(login) as client:
        logged = client.post("/time_entries.json", json={"time_entry": entry})
    assert logged.status_code == 201, logged.text
    listed = redmine.admin.get("/time_entries.json", params={"project_id": redmine_project}).json()
    [row] = listed["time_entries"]
    assert (row["activity"]["name"], row["hours"], row["spent_on"]) == (
        "Development",
        1.5,
        "2026-01-05",
    )
    assert row["user"]["name"] == "Test User"


def test_memberships_are_listed_and_deleted(redmine: Redmine, redmine_project: str) -> None:
    vendor(redmine, redmine_project, role="Reporter")
    path = f"/projects/{redmine_project}/memberships.json"
    [membership] = redmine.admin.get(path).json()["memberships"]
    assert [role["name"] for role in membership["roles"]] == ["Reporter"]
    assert redmine.admin.delete(f"/memberships/{membership['id']}.json").status_code == 204
    assert redmine.admin.get(path).json()["memberships"] == []


def test_a_wiki_page_is_written_and_read(redmine: Redmine, redmine_project: str) -> None:
    page = f"/projects/{redmine_project}/wiki/Runbook.json"
    first = redmine.admin.put(page, json={"wiki_page": {"text": "h1. Runbook", "comments": "new"}})
    again = redmine.admin.put(page, json={"wiki_page": {"text": "h1. Runbook\n\nv2"}})
    assert (first.status_code, again.status_code) == (201, 204)  # created, then updated
    read = redmine.admin.get(page).json()["wiki_page"]
    assert (read["title"], read["text"], read["version"]) == ("Runbook", "h1. Runbook\n\nv2", 2)


def test_project_files_are_added_and_listed_with_a_digest(
    redmine: Redmine, redmine_project: str
) -> None:
    content = b"%PDF-1.4 invoice"
    token = upload(redmine.admin, "invoice.pdf", content)
    path = f"/projects/{redmine_project}/files.json"
    added = redmine.admin.post(path, json={"file": {"token": token, "filename": "invoice.pdf"}})
    assert added.status_code == 204, added.text
    [listed] = redmine.admin.get(path).json()["files"]
    assert (listed["filename"], listed["filesize"]) == ("invoice.pdf", len(content))
    assert listed["digest"] == hashlib.sha256(content).hexdigest()  # files, unlike attachments
    assert redmine.admin.get(listed["content_url"]).content == content


def test_a_wrong_key_is_401_on_the_current_user_only(redmine: Redmine) -> None:
    public = redmine.new_project()
    redmine.admin.put(f"/projects/{public}.json", json={"project": {"is_public": True}})
    issue = create_issue(redmine.admin, public, "Public")
    wrong = {"X-Redmine-API-Key": "0" * 40}
    assert httpx.get(f"{redmine.url}/users/current.json", headers=wrong).status_code == 401
    # Anonymous may read a public project's issue, so a wrong key still reads it.
    assert httpx.get(f"{redmine.url}/issues/{issue}.json", headers=wrong).status_code == 200


def test_the_api_does_not_set_when_things_happened(redmine: Redmine, redmine_project: str) -> None:
    backdated = {
        "project_id": redmine_project,
        "subject": "Old",
        "created_on": "2020-01-01T00:00:00Z",
    }
    issue = redmine.admin.post("/issues.json", json={"issue": backdated}).json()["issue"]
    assert not issue["created_on"].startswith("2020")  # ignored, not refused
    noted = {"notes": "note", "created_on": "2020-01-01T00:00:00Z"}
    redmine.admin.put(f"/issues/{issue['id']}.json", json={"issue": noted})
    journal = redmine.admin.get(f"/issues/{issue['id']}.json", params={"include": "journals"})
    [entry] = journal.json()["issue"]["journals"]
    edited = {"journal": {"notes": "edited", "created_on": "2020-01-01T00:00:00Z"}}
    assert redmine.admin.put(f"/journals/{entry['id']}.json", json=edited).status_code == 204
    [after] = redmine.admin.get(f"/issues/{issue['id']}.json?include=journals").json()["issue"][
        "journals"
    ]
    assert (after["notes"], after["created_on"]) == ("edited", entry["created_on"])


def test_with_the_rest_api_off_the_current_user_is_403(
    redmine_template: Path, tmp_path: Path
) -> None:
    """A separate server on its own copy: the session's keeps its API on."""
    with redmine_server(redmine_template, tmp_path / "off") as server:
        rails_runner(tmp_path / "off", 'Setting.rest_api_enabled = "0"')
        # Redmine re-reads its settings when the table changes, so no restart is needed.
        assert server.admin.get("/users/current.json").status_code == 403


def test_a_request_that_meets_another_write_waits_for_it_instead_of_failing(
    redmine: Redmine, redmine_project: str
) -> None:
    """The simulated clock writes Redmine's SQLite file beside Rails: while such a write
    holds the lock, a read goes on (WAL) and a write waits for it; neither answers 500
    ("database is locked")."""
    database = redmine.database
    assert database is not None
    issue = create_issue(redmine.admin, redmine_project, "Locked")
    held = threading.Event()

    def hold_the_lock() -> None:
        with sqlite3.connect(database, timeout=30) as db:
            db.execute("BEGIN EXCLUSIVE")
            held.set()
            time.sleep(1.5)
        db.close()

    writer = threading.Thread(target=hold_the_lock)
    writer.start()
    assert held.wait(30)
    read = redmine.admin.get(f"/issues/{issue}.json", params={"include": "journals"})
    noted = redmine.admin.put(f"/issues/{issue}.json", json={"issue": {"notes": "after"}})
    writer.join(30)
    assert read.status_code == 200, read.text
    assert noted.status_code == 204, noted.text
    journals = redmine.admin.get(f"/issues/{issue}.json", params={"include": "journals"})
    assert [j["notes"] for j in journals.json()["issue"]["journals"]] == ["after"]


def test_concurrent_lists_and_writes_all_answer(redmine: Redmine, redmine_project: str) -> None:
    """WEBrick serves requests at once: lists read while tickets are created and noted, as
    the engine and the simulated vendor do, all answer; none waits out a lock (a 500)."""
    issue = create_issue(redmine.admin, redmine_project, "Busy")
    for n in range(20):  # lists long enough to be walked while a write commits
        create_issue(redmine.admin, redmine_project, f"Filler {n}")

    def one(n: int) -> int:
        with redmine.client() as client:
            if n % 3 == 0:
                listed = {"project_id": redmine_project, "status_id": "*", "limit": "100"}
                return client.get("/issues.json", params=listed).status_code
            if n % 3 == 1:
                noted = {"issue": {"notes": f"note {n}"}}
                return client.put(f"/issues/{issue}.json", json=noted).status_code
            made = {"issue": {"project_id": redmine_project, "subject": f"At once {n}"}}
            return client.post("/issues.json", json=made).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(one, range(24)))
    assert statuses == [[200, 204, 201][n % 3] for n in range(24)]
    journals = redmine.admin.get(f"/issues/{issue}.json", params={"include": "journals"})
    assert len(journals.json()["issue"]["journals"]) == 8
