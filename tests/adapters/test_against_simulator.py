"""The client against the simulator over real sockets: typed errors, and no duplicate work."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr

from adapters.contract import WorkItemCreate
from adapters.errors import VendorAuthError, VendorUnavailable
from adapters.work_api import VendorClient
from config import Settings
from simulator.config import ProfileName, SimulatorConfig
from tests.conftest import StartSimulator
from tests.simulator.helpers import TOKEN, order

QUICK = Settings(
    vendor_read_timeout=0.5,
    vendor_connect_timeout=0.5,
    vendor_max_attempts=10,
    vendor_backoff_initial=0.01,
    vendor_backoff_max=0.1,
)


def connect(base_url: str, token: str = TOKEN, settings: Settings = QUICK) -> VendorClient:
    return VendorClient(vendor="Sim", base_url=base_url, token=SecretStr(token), settings=settings)


async def test_200_creations_against_a_flaky_vendor_make_exactly_200_items(
    simulator_server: StartSimulator,
) -> None:
    base = simulator_server(
        SimulatorConfig(
            profile=ProfileName.FLAKY,
            fault_rate=0.25,
            slow_seconds=(0.05, 0.1),
            timeout_seconds=1.0,
        )
    )
    gate = asyncio.Semaphore(20)

    async def create(client: VendorClient, n: int) -> str:
        item = WorkItemCreate.model_validate(order(f"flaky:e1:rung-{n}"))
        async with gate:
            return (await client.ensure_work_item(item, key=f"flaky:e1:rung-{n}:work-item")).id

    async with connect(base) as client:
        ids = await asyncio.gather(*(create(client, n) for n in range(200)))
        stats = client.stats
    ledger = httpx.get(f"{base}/admin/ledger").json()
    assert len(set(ids)) == 200
    assert ledger["effects"]["work_items"] == 200
    assert len(ledger["client_refs"]) == 200
    assert {ref["creations"] for ref in ledger["client_refs"].values()} == {1}
    assert stats.retries > 0 and stats.attempts > stats.calls  # faults really were injected
    replayed = [k for k, entry in ledger["keys"].items() if entry["attempts"] > 1]
    assert replayed, "some POSTs were retried with their key after the effect was recorded"


async def test_a_wrong_token_is_an_auth_error_not_retried(simulator_server: StartSimulator) -> None:
    base = simulator_server(SimulatorConfig())
    with pytest.raises(VendorAuthError, match="HTTP 401") as raised:
        async with connect(base, token="wrong") as client:
            await client.whoami()
    assert raised.value.attempts == 1


async def test_a_ghost_vendor_times_out_and_says_so(simulator_server: StartSimulator) -> None:
    base = simulator_server(
        SimulatorConfig(profile=ProfileName.GHOST, ghost_after_requests=1, hang_seconds=5)
    )
    settings = QUICK.model_copy(update={"vendor_max_attempts": 2})
    async with connect(base, settings=settings) as client:
        await client.whoami()
        with pytest.raises(VendorUnavailable) as raised:
            await client.whoami()
    assert str(raised.value) == (
        "Vendor Sim, auth check: no answer in time (timeout) (gave up after 2 attempts; "
        "try again once it answers)."
    )


async def test_an_unreachable_host_is_named(unused_tcp_port: int) -> None:
    settings = QUICK.model_copy(update={"vendor_max_attempts": 2})
    async with connect(f"http://127.0.0.1:{unused_tcp_port}", settings=settings) as client:
        with pytest.raises(VendorUnavailable, match="cannot reach http://127.0.0.1"):
            await client.health()
