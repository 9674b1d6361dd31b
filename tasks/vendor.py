"""Network tasks: one vendor call each, retried when the vendor is unavailable."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun

from adapters.contract import (
    AccessGrant,
    Ack,
    AckRequest,
    Directive,
    Invoice,
    TimesheetLine,
    WhoAmI,
    WorkItem,
    WorkItemCreate,
    WorkStatus,
)
from adapters.errors import VendorUnavailable
from models.context import VendorInfo
from models.tickets import Ticket
from tasks.connection import vendor_api


async def _unavailable(task: Task[Any, Any], run: TaskRun, state: State[Any]) -> bool:
    """Retry the task only when the vendor was unavailable; a refusal will not change."""
    try:
        await state.aresult()
    except VendorUnavailable:
        return True
    except Exception:
        return False
    return False


# Every task reads or changes the world, so none may be answered from Prefect's cache.
vendor_call = task(
    retries=2,
    retry_delay_seconds=[2, 10],
    retry_condition_fn=_unavailable,
    cache_policy=NO_CACHE,
)


@vendor_call
async def check_api(vendor: VendorInfo) -> WhoAmI:
    """Check the vendor's API is up and the token is accepted."""
    api = await vendor_api(vendor)
    await api.health()
    return await api.whoami()


@vendor_call
async def list_grants(vendor: VendorInfo, trial: str) -> list[AccessGrant]:
    """The access grants the vendor holds for the trial."""
    return await (await vendor_api(vendor)).access_grants(trial)


@vendor_call
async def acknowledge(vendor: VendorInfo, trial: str, terms: AckRequest, key: str) -> Ack:
    """Have the vendor acknowledge the expectations."""
    return await (await vendor_api(vendor)).acknowledge(trial, terms, key)


@vendor_call
async def create_work_item(vendor: VendorInfo, item: WorkItemCreate, key: str) -> WorkItem:
    """Hand a rung to the vendor: found by client reference if a past attempt made it."""
    return await (await vendor_api(vendor)).ensure_work_item(item, key)


@vendor_call
async def wait_for_delivery(vendor: VendorInfo, item_id: str, within: float) -> WorkItem:
    """Poll the work item with backoff until delivered or `within` seconds pass."""
    api = await vendor_api(vendor)
    deadline, pause = time.monotonic() + within, 0.05
    item = await api.work_item(item_id)
    while item.status not in (WorkStatus.DELIVERED, WorkStatus.REJECTED):
        if time.monotonic() + pause > deadline:
            return item
        await asyncio.sleep(pause)
        pause = min(pause * 2, 5.0)
        item = await api.work_item(item_id)
    return item


@vendor_call
async def read_tickets(vendor: VendorInfo, trial: str) -> list[Ticket]:
    """The vendor's helpdesk tickets with their histories (a ticketing system's adapter)."""
    return await (await vendor_api(vendor)).tickets(trial)


@vendor_call
async def read_costs(vendor: VendorInfo, trial: str) -> tuple[list[TimesheetLine], list[Invoice]]:
    """Timesheets and invoices for the trial."""
    api = await vendor_api(vendor)
    return await api.timesheets(trial), await api.invoices(trial)


@vendor_call
async def read_directive(vendor: VendorInfo, directive_id: str) -> Directive:
    """A directive at the vendor, with the vendor's answer once it gave one."""
    return await (await vendor_api(vendor)).directive(directive_id)
