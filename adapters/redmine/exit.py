"""The Redmine adapter's handover side: access grants as project memberships, the data
export built by the engine from the API, and knowledge transfer as wiki pages (and files).

Redmine keeps no record of a membership once removed, so a grant's id is the principal
(`member:USER-ID`), stable across the removal: a named user with no membership is listed
as revoked, at the time it was read.

A role a user holds through a group that is a member of the project ("inherited") cannot
be removed from the user's membership (Redmine answers 422): only taking the user out of
the group, or the group out of the project, removes it. The engine does neither (a group
is shared with other projects and people). `trials check-vendor` and onboarding refuse
such a user as a setup problem (`refuse_inherited`); at the exit the grant says so in its
scope and is left unrevoked, so every other grant is still revoked and this one becomes a
person's to-do.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from adapters.contract import (
    AccessGrant,
    DataExport,
    ExportCheck,
    ExportRequest,
    ExportStatus,
    KnowledgeDocument,
)
from adapters.errors import VendorContractError, VendorNotFound
from adapters.redmine import mapping
from adapters.redmine.rest import Json

if TYPE_CHECKING:
    from adapters.redmine.project import ProjectSetup
    from adapters.redmine.rest import RedmineRest
    from models.redmine import RedmineSection

_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # one fixed time: the same project gives the same archive


class RedmineHandover:
    """Grants, export and knowledge transfer; mixed into `RedmineAdapter`."""

    vendor: str
    rest: RedmineRest
    section: RedmineSection
    _exports: dict[str, bytes]

    async def setup(self) -> ProjectSetup:
        raise NotImplementedError

    async def access_grants(self, trial: str) -> list[AccessGrant]:
        """One grant per named vendor user and client account: its project membership, or,
        when it has none, a grant read back as revoked."""
        setup = await self.setup()
        members, groups = await self._memberships()
        now = datetime.now(UTC)
        grants = []
        for user_id, login in sorted({**setup.staff, **setup.clients}.items()):
            membership = members.get(user_id)
            if membership is None:
                grants.append(
                    AccessGrant(
                        id=f"member:{user_id}",
                        system=self._system,
                        principal=login,
                        scope="no membership",
                        granted_at=now,
                        revoked_at=now,
                    )
                )
            else:
                grant = mapping.grant(membership, self.section.project, login, now)
                if inherited := _inherited(membership):
                    through = ", ".join(groups) or "a group"
                    grant.scope += (
                        f"; {', '.join(inherited)} through {through}, which only an "
                        "administrator can remove"
                    )
                grants.append(grant.model_copy(update={"id": f"member:{user_id}"}))
        return grants

    async def refuse_inherited(self) -> None:
        """VendorSetupError naming the first named user who holds roles through a group:
        the exit could not revoke them (the check `trials check-vendor` and onboarding make)."""
        setup = await self.setup()
        members, groups = await self._memberships()
        for user_id, login in sorted({**setup.staff, **setup.clients}.items()):
            membership = members.get(user_id)
            if membership is None or not (inherited := _inherited(membership)):
                continue
            through = ", ".join(groups) or "a group"
            raise self.rest.setup_error(
                "check access grants",
                f"{login} holds {', '.join(inherited)} in project {self.section.project} "
                f"through a group's membership ({through}); Redmine removes such a role only "
                "with the group, so the exit plan could not revoke it",
                f"an administrator gives {login} a membership of its own and takes it out of "
                f"the group (Administration → Groups → {through} → Users), or removes the "
                "group from the project; then run again",
            )

    async def revoke_grant(self, grant_id: str, key: str) -> AccessGrant:
        """Remove the user's membership, then read the memberships back to see it gone. A
        membership with roles through a group is left as it is (Redmine refuses to remove
        it): the grant reads back unrevoked, its scope saying why, for a person to remove."""
        user_id = int(grant_id.removeprefix("member:"))
        members, _ = await self._memberships()
        membership = members.get(user_id)
        if membership is not None and not _inherited(membership):
            await self.rest.delete("revoke access", f"/memberships/{membership['id']}.json")
        grants = {g.id: g for g in await self.access_grants("")}
        grant = grants.get(grant_id)
        if grant is None:
            raise VendorNotFound(self.vendor, "revoke access", f"no grant {grant_id}")
        return grant

    async def check_export(self, trial: str, request: ExportRequest) -> ExportCheck:
        """A dry run: the project is readable, so the engine can build the export at once."""
        await self.setup()
        now = datetime.now(UTC)
        return ExportCheck(
            trial=trial, client_ref=request.client_ref, format="zip", checked_at=now, ready_by=now
        )

    async def request_export(self, trial: str, request: ExportRequest, key: str) -> DataExport:
        """Build the export (nothing is asked of Redmine but reads)."""
        self._exports[request.client_ref] = await self._build_export(trial)
        return await self.export(request.client_ref)

    async def export(self, export_id: str) -> DataExport:
        """The export built for `export_id`, with its size and sha256 (built now if this
        process has not built it yet)."""
        if export_id not in self._exports:
            self._exports[export_id] = await self._build_export(export_id.split(":", 1)[0])
        content = self._exports[export_id]
        return DataExport(
            id=export_id,
            client_ref=export_id,
            trial=export_id.split(":", 1)[0],
            status=ExportStatus.READY,
            requested_at=datetime.now(UTC),
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
        )

    async def download_export(self, export: DataExport) -> bytes:
        """The archive, checked against the sha256 it was listed with."""
        content = self._exports.get(export.id)
        if content is None:
            content = await self._build_export(export.trial)
        if hashlib.sha256(content).hexdigest() != export.sha256:
            raise VendorContractError(
                self.vendor,
                "download export",
                "the project changed while it was being exported",
            )
        return content

    async def kt_documents(self, trial: str) -> list[KnowledgeDocument]:
        """The project's wiki pages at their current version (and files, if the plan says)."""
        pages = await self._wiki_pages()
        documents = [
            KnowledgeDocument(
                id=f"wiki:{quote(title)}:{version}",
                trial=trial,
                title=title,
                size=len(text),
                sha256=hashlib.sha256(text).hexdigest(),
            )
            for title, version, text in pages
        ]
        if self.section.kt_files:
            for f in await self._files():
                if not f["filename"].lower().startswith("invoice"):
                    content = await self.rest.raw("list KT documents", f["content_url"])
                    documents.append(
                        KnowledgeDocument(
                            id=f"file:{f['id']}",
                            trial=trial,
                            title=f["filename"],
                            size=len(content),
                            sha256=hashlib.sha256(content).hexdigest(),
                        )
                    )
        return documents

    async def download_kt_document(self, document: KnowledgeDocument) -> bytes:
        """A wiki page's text at the listed version, or a file's bytes; checked by sha256."""
        kind, _, rest = document.id.partition(":")
        if kind == "wiki":
            title, _, version = rest.rpartition(":")
            page = await self.rest.get(
                "download KT document",
                f"/projects/{self.section.project}/wiki/{title}/{version}.json",
            )
            text: str = page["wiki_page"]["text"]
            content = text.encode()
        else:
            meta = await self.rest.get("download KT document", f"/attachments/{rest}.json")
            content = await self.rest.raw("download KT document", meta["attachment"]["content_url"])
        if hashlib.sha256(content).hexdigest() != document.sha256:
            raise VendorContractError(
                self.vendor, "download KT document", f"{document.title} changed since listed"
            )
        return content

    @property
    def _system(self) -> str:
        return f"redmine project {self.section.project}"

    async def _memberships(self) -> tuple[dict[int, Json], list[str]]:
        """The project's user memberships by user id, and the names of its member groups."""
        found = await self.rest.pages(
            "read memberships",
            f"/projects/{self.section.project}/memberships.json",
            "memberships",
        )
        members = {m["user"]["id"]: m for m in found if "user" in m}
        return members, sorted(m["group"]["name"] for m in found if "group" in m)

    async def _files(self) -> list[Json]:
        files: list[Json] = (
            await self.rest.get("read files", f"/projects/{self.section.project}/files.json")
        )["files"]
        return sorted(files, key=lambda f: f["id"])

    async def _wiki_pages(self) -> list[tuple[str, int, bytes]]:
        """(title, version, text) of every wiki page."""
        project = self.section.project
        try:
            index = (
                await self.rest.get("list KT documents", f"/projects/{project}/wiki/index.json")
            )["wiki_pages"]
        except VendorNotFound:  # the wiki module is off, or no page yet
            return []
        pages = []
        for entry in sorted(index, key=lambda p: p["title"]):
            page = (
                await self.rest.get(
                    "list KT documents", f"/projects/{project}/wiki/{quote(entry['title'])}.json"
                )
            )["wiki_page"]
            pages.append((page["title"], int(page["version"]), page["text"].encode()))
        return pages

    async def _build_export(self, trial: str) -> bytes:
        """Issues with journals and attachments, time entries, wiki pages and files, in one
        zip with a sha256 manifest; deterministic for the same project content."""
        project = self.section.project
        listed = await self.rest.pages(
            "export data",
            "/issues.json",
            "issues",
            {"project_id": project, "status_id": "*", "sort": "id"},
        )
        entries: dict[str, bytes] = {}
        for issue in listed:
            full = (
                await self.rest.get(
                    "export data",
                    f"/issues/{issue['id']}.json",
                    {"include": "journals,attachments,relations"},
                )
            )["issue"]
            entries[f"issues/{issue['id']}.json"] = _dump(full)
            for a in full.get("attachments", []):
                content = await self.rest.raw("export data", a["content_url"])
                entries[f"attachments/{a['id']}-{a['filename']}"] = content
        entries["time_entries.json"] = _dump(
            await self.rest.pages(
                "export data", "/time_entries.json", "time_entries", {"project_id": project}
            )
        )
        for title, version, text in await self._wiki_pages():
            entries[f"wiki/{title}.v{version}.txt"] = text
        for f in await self._files():
            entries[f"files/{f['id']}-{f['filename']}"] = await self.rest.raw(
                "export data", f["content_url"]
            )
        manifest = {
            "trial": trial,
            "system": self._system,
            "files": {
                name: hashlib.sha256(data).hexdigest() for name, data in sorted(entries.items())
            },
        }
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in [*sorted(entries.items()), ("manifest.json", _dump(manifest))]:
                archive.writestr(zipfile.ZipInfo(name, _ZIP_TIME), data)
        return buffer.getvalue()


def _dump(value: object) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True).encode()


def _inherited(membership: Json) -> list[str]:
    """The names of the roles a membership holds through a group, sorted."""
    return sorted(r["name"] for r in membership.get("roles", []) if r.get("inherited"))
