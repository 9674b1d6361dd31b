"""Redmine's REST API as the simulated vendor uses it: the admin's key, acting as any user
with `X-Redmine-Switch-User`, each failure named by its call and who made it."""

from __future__ import annotations

from typing import Any

import httpx

from adapters.redmine import mapping
from models.errors import TrialsError

Json = dict[str, Any]


class RedmineVendorError(TrialsError):
    """Redmine refused an act of the simulated vendor."""


class RedmineDown(RedmineVendorError):
    """Redmine answered 5xx: busy or down, worth trying again later."""


class RedmineActor:
    """One Redmine project, reached with the admin's key on behalf of its users."""

    def __init__(self, *, url: str, admin_key: str, project: str) -> None:
        self.project = project
        self.http = httpx.AsyncClient(
            base_url=url, headers={"X-Redmine-API-Key": admin_key}, timeout=60
        )
        self._ids: dict[str, dict[str, int]] | None = None

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def issues(
        self, tracker: str, ref_suffix: str | None, *, subject: str | None = None
    ) -> list[Json]:
        """The project's issues of a tracker in any status: those whose marker's reference
        ends with `ref_suffix`, or whose subject holds `subject`, or all."""
        contains = ref_suffix if subject is None else subject
        ids = await self.ids()
        params = {
            "project_id": self.project,
            "tracker_id": str(ids["trackers"][tracker]),
            "status_id": "*",
            "sort": "id",
            "limit": "100",
        }
        if contains is not None:
            params["subject"] = "~" + contains
        found: list[Json] = []
        while True:
            page = await self.get("/issues.json", {**params, "offset": str(len(found))})
            found += page["issues"]
            if not page["issues"] or len(found) >= page["total_count"]:
                break
        if ref_suffix is None:
            return found
        return [i for i in found if (mapping.ref_of(i["subject"]) or "").endswith(ref_suffix)]

    async def ids(self) -> dict[str, dict[str, int]]:
        """Names → ids of trackers, statuses, priorities and activities, read once."""
        if self._ids is None:
            lists = {
                "trackers": ("/trackers.json", "trackers"),
                "statuses": ("/issue_statuses.json", "issue_statuses"),
                "priorities": ("/enumerations/issue_priorities.json", "issue_priorities"),
                "activities": (
                    "/enumerations/time_entry_activities.json",
                    "time_entry_activities",
                ),
            }
            self._ids = {}
            for kind, (path, key) in lists.items():
                self._ids[kind] = {i["name"]: i["id"] for i in (await self.get(path))[key]}
        return self._ids

    async def wiki_text(self, title: str) -> str:
        """The text of a wiki page of the project; "" when there is no such page."""
        response = await self.http.get(f"/projects/{self.project}/wiki/{title}.json")
        if response.status_code == 404:
            return ""
        return str(self._json(response, f"read wiki page {title}")["wiki_page"]["text"])

    async def upload(self, filename: str, content: bytes, login: str) -> str:
        """Upload a file as `login`; the token that attaches it."""
        response = await self.http.post(
            "/uploads.json",
            params={"filename": filename},
            content=content,
            headers={
                "Content-Type": "application/octet-stream",
                "X-Redmine-Switch-User": login,
            },
        )
        return str(self._json(response, f"upload {filename}")["upload"]["token"])

    async def get(self, path: str, params: dict[str, str] | None = None) -> Json:
        """A GET's JSON, as the admin."""
        return self._json(await self.http.get(path, params=params), f"GET {path}")

    async def send(self, method: str, path: str, login: str, body: Json) -> Json:
        """A write as `login`; its JSON answer, or {} when Redmine answers 204."""
        headers = {"X-Redmine-Switch-User": login}
        response = await self.http.request(method, path, json=body, headers=headers)
        return self._json(response, f"{method} {path} as {login}")

    @staticmethod
    def _json(response: httpx.Response, call: str) -> Json:
        if response.status_code >= 500:
            raise RedmineDown(f"{call} answered {response.status_code}: Redmine is busy or down")
        if not response.is_success:
            raise RedmineVendorError(
                f"{call} answered {response.status_code}: {response.text[:300]}; check the "
                "project's members, their roles and Redmine's workflow for those roles"
            )
        return response.json() if response.content.strip() else {}
