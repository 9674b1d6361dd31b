"""What the plan's names mean in one Redmine: tracker, status, activity and user ids, read
once per adapter and checked, so a name the plan gets wrong is refused with the names
Redmine does have."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.errors import VendorNotFound
from adapters.redmine.rest import Forbidden, Json, RedmineRest
from models.redmine import RedmineSection

_MODULES = {"issue_tracking", "time_tracking"}


@dataclass(frozen=True)
class ProjectSetup:
    """The project's id and the ids behind the plan's names."""

    project_id: int
    modules: list[str]
    trackers: dict[str, int]  # name → id
    statuses: dict[str, str]  # id → name
    closed: set[str]  # ids of closed statuses
    staff: dict[int, str]  # the vendor's user ids → logins
    clients: dict[int, str]  # the client's service accounts' ids → logins

    def status_ids(self, names: list[str]) -> set[str]:
        """The ids of the named statuses."""
        return {i for i, name in self.statuses.items() if name in names}


async def read_setup(rest: RedmineRest, section: RedmineSection) -> ProjectSetup:
    """The project's setup; VendorSetupError naming what the plan asks that Redmine lacks."""
    call = "read the project"
    try:
        project = (
            await rest.get(
                call,
                f"/projects/{section.project}.json",
                {"include": "enabled_modules,trackers"},
            )
        )["project"]
    except (VendorNotFound, Forbidden):  # 404 when missing, 403 when private to others
        raise rest.setup_error(
            call,
            f"Redmine has no project {section.project}, or the key's user cannot see it",
            "check the plan's redmine.project against the project's Settings → Identifier, "
            "and that the key's user is a member of it (or an administrator)",
        ) from None
    modules = sorted(m["name"] for m in project.get("enabled_modules", []))
    missing_modules = sorted(_MODULES - set(modules))
    if missing_modules:
        raise rest.setup_error(
            call,
            f"project {section.project} has no {', '.join(missing_modules)} module",
            "enable it in the project's Settings → Modules",
        )
    # Only the project's own trackers take its issues: Redmine refuses any other with a 422.
    trackers = {t["name"]: t["id"] for t in project.get("trackers", [])}
    wanted = {section.rung_tracker, section.ticket_tracker, section.directives_tracker}
    _known(
        rest,
        f"tracker in project {section.project}",
        wanted,
        set(trackers),
        "redmine.rung_tracker / ticket_tracker / directive_tracker (or enable the tracker in "
        "the project's Settings → Issue tracking)",
    )
    raw = (await rest.get(call, "/issue_statuses.json"))["issue_statuses"]
    statuses = {str(s["id"]): s["name"] for s in raw}
    named = {name for names in section.statuses.model_dump().values() for name in names}
    _known(rest, "status", named, set(statuses.values()), "redmine.statuses")
    activities = (await rest.get(call, "/enumerations/time_entry_activities.json"))[
        "time_entry_activities"
    ]
    _known(
        rest,
        "activity",
        set(section.activities),
        {a["name"] for a in activities},
        "redmine.activities",
    )
    return ProjectSetup(
        project_id=project["id"],
        modules=modules,
        trackers=trackers,
        statuses=statuses,
        closed={str(s["id"]) for s in raw if s.get("is_closed")},
        staff=await _user_ids(rest, section.vendor_staff),
        clients=await _user_ids(rest, section.client_accounts),
    )


def _known(rest: RedmineRest, kind: str, wanted: set[str], known: set[str], field: str) -> None:
    unknown = sorted(wanted - known)
    if unknown:
        raise rest.setup_error(
            "read the project",
            f"Redmine has no {kind} named {', '.join(unknown)}",
            f"use one of {', '.join(sorted(known))} in the plan's {field}",
        )


async def _user_ids(rest: RedmineRest, logins: list[str]) -> dict[int, str]:
    """Each login's user id. Redmine tells logins only to administrators, so this needs an
    administrator's key; a user the key cannot see is refused by name."""
    found: dict[int, str] = {}
    for login in logins:
        try:
            users: list[Json] = (
                await rest.get(
                    "find the vendor's users", "/users.json", {"name": login, "status": ""}
                )
            )["users"]
        except Forbidden:  # the project was readable, so the key is no administrator's
            raise rest.setup_error(
                "find the vendor's users",
                "Redmine lists users and their logins only to administrators, and the key's "
                "user is not one",
                "give the plan an administrator's API key (vendor.api.token)",
            ) from None
        match = [u for u in users if u.get("login") == login]
        if not match:
            raise rest.setup_error(
                "find the vendor's users",
                f"Redmine has no user with the login {login}",
                "check the plan's redmine.vendor_staff and client_accounts against "
                "Administration → Users",
            )
        found[match[0]["id"]] = login
    return found
