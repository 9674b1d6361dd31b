"""`trials check-vendor` on a plan whose vendor works in Redmine: the real project is read,
and each way it can be set up wrong is one line saying what and how to fix it, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.conftest import EXAMPLES
from tests.redmine import Redmine

runner = CliRunner()
KEY = "NORTHWIND_REDMINE_KEY"


@pytest.fixture
def plan_for(redmine: Redmine, redmine_project: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """The Redmine example pointed at this test's project and staff, changed as asked."""
    staff = [f"{redmine_project}-{n}" for n in ("alice", "bob", "svc")]
    for login in staff:
        user_id, _ = redmine.create_user(login)
        redmine.add_member(redmine_project, user_id, "Developer")

    def write(*changes: tuple[str, str]) -> Path:
        text = (EXAMPLES / "redmine-helpdesk.yaml").read_text()
        for old, new in (
            ("http://127.0.0.1:3000", redmine.url),
            ("project: northwind-helpdesk", f"project: {redmine_project}"),
            ("[nw-alice, nw-bob]", f"[{staff[0]}, {staff[1]}]"),
            ("[svc-backup]", f"[{staff[2]}]"),
            *changes,
        ):
            assert old in text, old
            text = text.replace(old, new)
        path = tmp_path / "plan.yaml"
        path.write_text(text)
        return path

    return write


def check(path: Path, key: str) -> tuple[int, str]:
    result = runner.invoke(app, ["check-vendor", str(path)], env={KEY: key})
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_project_set_up_as_the_plan_says_passes(plan_for, redmine: Redmine) -> None:  # type: ignore[no-untyped-def]
    code, output = check(plan_for(), redmine.admin_key)
    assert code == 0, output
    assert "is ok; the token belongs to Northwind IT Services for admin" in output
    assert "issue_tracking" in output and "time_tracking" in output


@pytest.mark.parametrize(
    ("change", "says", "fix"),
    [
        (None, "Redmine refused the API key (401)", "My account → API access key"),
        (
            ("rung_tracker: Feature", "rung_tracker: Story"),
            "named Story",
            "Bug, Feature, Support",
        ),
        (
            (
                "activities: {Development: engineer, Design: lead}",
                "activities: {Development: engineer, Design: lead, Testing: engineer}",
            ),
            "no activity named Testing",
            "Design, Development",
        ),
        (
            ("    delivered: [Resolved]", "    delivered: [Done]"),
            "no status named Done",
            "Resolved",
        ),
        (
            ("client_accounts: [", "client_accounts: [nobody-here, "),
            "no user with the login nobody-here",
            "Administration → Users",
        ),
    ],
    ids=["wrong key", "tracker", "activity", "status", "login"],
)
def test_each_setup_problem_is_one_line_with_its_fix(  # type: ignore[no-untyped-def]
    plan_for, redmine: Redmine, change: tuple[str, str] | None, says: str, fix: str
) -> None:
    path = plan_for(*([change] if change else []))
    code, output = check(path, "wrong-key" if change is None else redmine.admin_key)
    assert code == 1, output
    assert says in output and fix in output, output


def test_a_project_the_key_cannot_see_is_named(plan_for, redmine: Redmine) -> None:  # type: ignore[no-untyped-def]
    code, output = check(plan_for(("project: t-", "project: gone-t-")), redmine.admin_key)
    assert code == 1 and "gone-t-" in output, output


def test_a_vendor_user_in_a_member_group_is_named_with_the_fix(  # type: ignore[no-untyped-def]
    plan_for, redmine: Redmine, redmine_project: str
) -> None:
    """A role held through a group is one the exit could not revoke: said before the trial."""
    path = plan_for()
    with redmine.client() as http:
        users = http.get("/users.json", params={"name": f"{redmine_project}-bob"}).json()
        [bob] = [u["id"] for u in users["users"] if u["login"] == f"{redmine_project}-bob"]
        made = http.post(
            "/groups.json", json={"group": {"name": f"{redmine_project} staff", "user_ids": [bob]}}
        )
        made.raise_for_status()
    redmine.add_member(redmine_project, made.json()["group"]["id"], "Reporter")
    code, output = check(path, redmine.admin_key)
    assert code == 1, output
    assert f"{redmine_project}-bob holds Reporter in project {redmine_project}" in output
    assert "takes it out of the group" in output
