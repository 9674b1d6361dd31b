"""Network tasks: one vendor call each, retried when the vendor is unavailable."""

from __future__ import annotations

from typing import Any

from prefect import Task, task
from prefect.client.schemas.objects import State, TaskRun

from models.context import VendorInfo
from tasks.connection import vendor_api
from vendor.contract import AccessGrant, Ack, AckRequest, WhoAmI
from vendor.errors import VendorUnavailable


def _unavailable(task: Task[Any, Any], run: TaskRun, state: State[Any]) -> bool:
    """Retry the task only when the vendor was unavailable; a refusal will not change."""
    try:
        state.result()
    except VendorUnavailable:
        return True
    except Exception:
        return False
    return False


vendor_call = task(
    retries=2, retry_delay_seconds=[2, 10], retry_condition_fn=_unavailable, tags=["vendor"]
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
