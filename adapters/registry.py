"""The adapter seam: a vendor whose API differs is mapped onto the contract, not the flows.

Flows and tasks talk to a `VendorAPI`. The built-in adapter, `work-api`, is the client of
the Vendor Work API itself; another adapter subclasses `VendorClient` (or implements the
protocol) and is registered under a name, in code with `register` or by a package through
the `vendor_trials.adapters` entry-point group. A plan picks one with `vendor.api.adapter`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from importlib.metadata import entry_points
from typing import Protocol

from pydantic import BaseModel, SecretStr

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
    TimesheetLine,
    WhoAmI,
    WorkItem,
    WorkItemCreate,
)
from adapters.errors import VendorError
from adapters.work_api import VendorClient
from models.context import VendorInfo
from models.redmine import RedmineSection
from models.tickets import Ticket


class VendorConnection(BaseModel):
    """Everything needed to open a vendor's API."""

    vendor: str
    base_url: str
    token: SecretStr
    adapter: str = "work-api"
    redmine: RedmineSection | None = None
    rate_card: dict[str, Decimal] = {}
    currency: str = ""


class VendorAPI(Protocol):
    """What the engine needs from a vendor, in the contract's terms."""

    async def aclose(self) -> None: ...
    async def health(self) -> Health: ...
    async def whoami(self) -> WhoAmI: ...
    async def acknowledge(self, trial: str, terms: AckRequest, key: str) -> Ack: ...
    async def ensure_work_item(self, item: WorkItemCreate, key: str) -> WorkItem: ...
    async def work_item(self, item_id: str) -> WorkItem: ...
    async def deliverables(self, item_id: str) -> list[Deliverable]: ...
    async def download_deliverable(self, deliverable: Deliverable) -> bytes: ...
    async def metrics(self, trial: str) -> list[Metric]: ...
    async def tickets(self, trial: str) -> list[Ticket]: ...
    async def changed_since(self, trial: str, since: datetime) -> bool: ...
    async def timesheets(self, trial: str) -> list[TimesheetLine]: ...
    async def invoices(self, trial: str) -> list[Invoice]: ...
    async def access_grants(self, trial: str) -> list[AccessGrant]: ...
    async def revoke_grant(self, grant_id: str, key: str) -> AccessGrant: ...
    async def request_export(self, trial: str, request: ExportRequest, key: str) -> DataExport: ...
    async def check_export(self, trial: str, request: ExportRequest) -> ExportCheck: ...
    async def export(self, export_id: str) -> DataExport: ...
    async def download_export(self, export: DataExport) -> bytes: ...
    async def kt_documents(self, trial: str) -> list[KnowledgeDocument]: ...
    async def download_kt_document(self, document: KnowledgeDocument) -> bytes: ...
    async def post_directive(
        self, trial: str, directive: DirectiveCreate, key: str
    ) -> Directive: ...
    async def directive(self, directive_id: str) -> Directive: ...


Adapter = Callable[[VendorConnection], VendorAPI]
_ADAPTERS: dict[str, Adapter] = {
    "work-api": lambda c: VendorClient(vendor=c.vendor, base_url=c.base_url, token=c.token),
    "redmine": lambda c: _redmine(c),
}


def register(name: str) -> Callable[[Adapter], Adapter]:
    """Register an adapter under `name`, for plans that say `adapter: name`."""

    def add(adapter: Adapter) -> Adapter:
        _ADAPTERS[name] = adapter
        return adapter

    return add


def connect(connection: VendorConnection) -> VendorAPI:
    """Open the vendor's API through the adapter its plan names."""
    adapter = _ADAPTERS.get(connection.adapter) or _installed(connection.adapter)
    if adapter is None:
        known = ", ".join(sorted(_ADAPTERS))
        raise VendorError(
            connection.vendor,
            "open the API",
            f"no adapter named '{connection.adapter}' (known: {known})",
        )
    return adapter(connection)


def connect_to(vendor: VendorInfo, token: SecretStr) -> VendorAPI:
    """Open a stored trial's vendor API with its resolved token."""
    return connect(
        VendorConnection(
            vendor=vendor.name,
            base_url=vendor.base_url,
            token=token,
            adapter=vendor.adapter,
            redmine=vendor.redmine,
            rate_card=vendor.rate_card,
            currency=vendor.currency,
        )
    )


def _redmine(c: VendorConnection) -> VendorAPI:
    """The Redmine adapter, for a plan with a `redmine:` section."""
    from adapters.redmine.adapter import RedmineAdapter

    if c.redmine is None:
        raise VendorError(c.vendor, "open the API", "the redmine adapter needs a redmine: section")
    return RedmineAdapter(
        vendor=c.vendor,
        base_url=c.base_url,
        token=c.token,
        section=c.redmine,
        rate_card=c.rate_card,
        currency=c.currency,
    )


def _installed(name: str) -> Adapter | None:
    """An adapter a package provides through the `vendor_trials.adapters` entry points."""
    for point in entry_points(group="vendor_trials.adapters"):
        if point.name == name:
            adapter: Adapter = point.load()
            _ADAPTERS[name] = adapter
            return adapter
    return None
