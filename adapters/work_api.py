"""The Vendor Work API client: typed calls over one httpx.AsyncClient, never duplicating work."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TypeVar

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from adapters.contract import (
    AccessGrant,
    Ack,
    AckRequest,
    DataExport,
    Deliverable,
    Directive,
    DirectiveCreate,
    ExportCheck,
    ExportRequest,
    Health,
    Invoice,
    KnowledgeDocument,
    Metric,
    Page,
    TimesheetLine,
    WhoAmI,
    WorkItem,
    WorkItemCreate,
)
from adapters.errors import VendorContractError, VendorRejected, VendorUnavailable
from adapters.http import CallStats, Requester
from adapters.redact import protect
from config import Settings, get_settings
from models.tickets import Ticket

M = TypeVar("M", bound=BaseModel)


class VendorClient:
    """One vendor's Work API. Answers are validated; POSTs carry an Idempotency-Key."""

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        token: SecretStr,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        protect(token.get_secret_value())
        self.vendor = vendor
        self._requests = Requester.open(
            vendor,
            base_url,
            {"Authorization": f"Bearer {token.get_secret_value()}"},
            settings or get_settings(),
            transport,
        )

    @property
    def stats(self) -> CallStats:
        """Calls, attempts and retries so far."""
        return self._requests.stats

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._requests.http.aclose()

    async def __aenter__(self) -> VendorClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def health(self) -> Health:
        """Whether the API is up."""
        return await self._get("health check", "/v1/health", Health)

    async def whoami(self) -> WhoAmI:
        """Who the token belongs to and its scopes: the auth check."""
        return await self._get("auth check", "/v1/whoami", WhoAmI)

    async def acknowledge(self, trial: str, terms: AckRequest, key: str) -> Ack:
        """Ask the vendor to acknowledge the trial's expectations."""
        return await self._post(
            "acknowledge expectations", f"/v1/trials/{trial}/expectations/ack", terms, Ack, key
        )

    async def ensure_work_item(self, item: WorkItemCreate, key: str) -> WorkItem:
        """The work item for `item.client_ref`: found if a past attempt made it, else created."""
        found = await self.find_work_items(item.client_ref)
        if found:
            return found[0]
        return await self._post("create work item", "/v1/work-items", item, WorkItem, key)

    async def work_item(self, item_id: str) -> WorkItem:
        """A work item's current state."""
        return await self._get("read work item", f"/v1/work-items/{item_id}", WorkItem)

    async def find_work_items(self, client_ref: str) -> list[WorkItem]:
        """The work items made for a client reference (none, or one)."""
        page = await self._get(
            "find work item", "/v1/work-items", Page[WorkItem], params={"client_ref": client_ref}
        )
        return page.items

    async def deliverables(self, item_id: str) -> list[Deliverable]:
        """The files delivered for a work item."""
        path = f"/v1/work-items/{item_id}/deliverables"
        return (await self._get("list deliverables", path, Page[Deliverable])).items

    async def download_deliverable(self, deliverable: Deliverable) -> bytes:
        """A deliverable's bytes, checked against its sha256."""
        return await self._download(
            "download deliverable", f"/v1/deliverables/{deliverable.id}/content", deliverable.sha256
        )

    async def metrics(self, trial: str) -> list[Metric]:
        """The vendor's measurements for the trial's metrics."""
        return (await self._get("read metrics", f"/v1/trials/{trial}/metrics", Page[Metric])).items

    async def changed_since(self, trial: str, since: datetime) -> bool:
        """Not asked: a Work API vendor tells by webhook (the monitor polls only the
        adapters in `models.adapter_checks.POLLED`)."""
        raise VendorRejected(
            self.vendor, "poll for changes", "the Vendor Work API sends webhooks instead"
        )

    async def tickets(self, trial: str) -> list[Ticket]:
        """None to read: the Work API keeps no tickets; plans measure from tickets only
        through a ticketing system's adapter (models.adapter_checks refuses the rest)."""
        raise VendorRejected(
            self.vendor,
            "read tickets",
            "the Vendor Work API keeps no tickets: measure with source: vendor_metrics, or "
            "reach the vendor's ticketing system with adapter: redmine",
        )

    async def timesheets(self, trial: str) -> list[TimesheetLine]:
        """Hours booked against the trial."""
        return (
            await self._get(
                "read timesheets", f"/v1/trials/{trial}/timesheets", Page[TimesheetLine]
            )
        ).items

    async def invoices(self, trial: str) -> list[Invoice]:
        """Invoices issued for the trial."""
        return (
            await self._get("read invoices", f"/v1/trials/{trial}/invoices", Page[Invoice])
        ).items

    async def access_grants(self, trial: str) -> list[AccessGrant]:
        """The access the vendor holds for the trial."""
        return (
            await self._get(
                "list access grants", f"/v1/trials/{trial}/access-grants", Page[AccessGrant]
            )
        ).items

    async def revoke_grant(self, grant_id: str, key: str) -> AccessGrant:
        """Revoke one access grant."""
        return await self._post(
            "revoke access grant", f"/v1/access-grants/{grant_id}/revoke", None, AccessGrant, key
        )

    async def request_export(self, trial: str, request: ExportRequest, key: str) -> DataExport:
        """Ask for the client's data back."""
        return await self._post(
            "request data export", f"/v1/trials/{trial}/exports", request, DataExport, key
        )

    async def check_export(self, trial: str, request: ExportRequest) -> ExportCheck:
        """Dry-run an export request: would the vendor accept it? Nothing is prepared."""
        response = await self._requests.send(
            "dry-run data export",
            "POST",
            f"/v1/trials/{trial}/exports/dry-run",
            body=request.model_dump_json().encode(),
            effectless=True,
        )
        return self._parse("dry-run data export", response, ExportCheck)

    async def export(self, export_id: str) -> DataExport:
        """A data export's state."""
        return await self._get("read data export", f"/v1/exports/{export_id}", DataExport)

    async def download_export(self, export: DataExport) -> bytes:
        """A ready export's bytes, checked against its sha256."""
        return await self._download(
            "download data export", f"/v1/exports/{export.id}/content", export.sha256
        )

    async def kt_documents(self, trial: str) -> list[KnowledgeDocument]:
        """The knowledge-transfer documents for the trial."""
        return (
            await self._get(
                "list knowledge-transfer documents",
                f"/v1/trials/{trial}/kt-documents",
                Page[KnowledgeDocument],
            )
        ).items

    async def download_kt_document(self, document: KnowledgeDocument) -> bytes:
        """A knowledge-transfer document's bytes, checked against its sha256."""
        return await self._download(
            "download knowledge-transfer document",
            f"/v1/kt-documents/{document.id}/content",
            document.sha256,
        )

    async def post_directive(self, trial: str, directive: DirectiveCreate, key: str) -> Directive:
        """Send the client's instruction to the vendor."""
        return await self._post(
            "post directive", f"/v1/trials/{trial}/directives", directive, Directive, key
        )

    async def directive(self, directive_id: str) -> Directive:
        """An instruction and the vendor's answer, if any."""
        return await self._get("read directive", f"/v1/directives/{directive_id}", Directive)

    async def _get(
        self, call: str, path: str, model: type[M], params: dict[str, str] | None = None
    ) -> M:
        response = await self._requests.send(call, "GET", path, params=params)
        return self._parse(call, response, model)

    async def _post(
        self, call: str, path: str, body: BaseModel | None, model: type[M], key: str
    ) -> M:
        # Serialised once, so every retry sends the very same bytes with the same key.
        content = body.model_dump_json().encode() if body is not None else b"{}"
        response = await self._requests.send(call, "POST", path, body=content, key=key)
        return self._parse(call, response, model)

    async def _download(self, call: str, path: str, sha256: str | None) -> bytes:
        for _ in range(self._requests.policy.max_attempts):
            content = (await self._requests.send(call, "GET", path)).content
            if sha256 is None or hashlib.sha256(content).hexdigest() == sha256:
                return content
        raise VendorUnavailable(
            self.vendor,
            call,
            f"the download never matched its sha256 {sha256} (incomplete or corrupted)",
        ).after(self._requests.policy.max_attempts)

    def _parse(self, call: str, response: httpx.Response, model: type[M]) -> M:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            first = exc.errors()[0]
            if first["type"] == "json_invalid":
                what = "answered with malformed JSON"
            else:
                where = ".".join(str(p) for p in first["loc"]) or "the body"
                what = f"answered with a body that breaks the contract at '{where}': {first['msg']}"
            raise VendorContractError(self.vendor, call, what) from None
