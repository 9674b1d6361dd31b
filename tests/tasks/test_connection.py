"""A vendor's concurrency limit: created at onboarding, kept when an operator changes it,
and held by every request made to the vendor through the engine."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from prefect import get_client
from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

from config import Settings
from models.context import VendorInfo
from models.plan import TokenRef
from simulator.config import SimulatorConfig
from tasks.connection import ensure_vendor_limit, limit_name, vendor_api, vendor_slot
from tests.conftest import StartSimulator


def a_vendor(base_url: str = "http://127.0.0.1:9") -> VendorInfo:
    """A vendor of its own for each test, so that their limits never meet."""
    return VendorInfo(
        name=f"Limited Vendor {uuid.uuid4().hex[:8]}",
        base_url=base_url,
        token=TokenRef(env="LIMITED_VENDOR_TOKEN"),
    )


def test_the_limit_name_is_a_slug_of_the_vendor_name_in_its_own_script() -> None:
    assert limit_name("Acme Managed Services") == "vendor-acme-managed-services"
    assert limit_name("  Ünïcode & Co. ") == "vendor-ünïcode-co"
    assert limit_name("株式会社サンプル情報システム") == "vendor-株式会社サンプル情報システム"
    assert limit_name("ООО «Пример Системс»") == "vendor-ооо-пример-системс"
    assert limit_name("ＡＣＭＥ") == limit_name("Acme")  # full-width letters are the same name
    # Names with no letter or digit at all still get limits of their own.
    assert limit_name("★★★") != limit_name("☆☆☆")
    assert limit_name("★★★").startswith("vendor-x") and len(limit_name("★★★")) == 16


async def test_vendors_named_in_other_scripts_get_limits_of_their_own(prefect_api: None) -> None:
    suffix = uuid.uuid4().hex[:6]  # the session's server keeps other tests' limits
    names = [f"株式会社サンプル{suffix}", f"ООО «Пример {suffix}»", f"Acme {suffix}"]
    for name in names:
        await ensure_vendor_limit.fn(a_vendor().model_copy(update={"name": name}))
    async with get_client() as client:
        for name in names:
            found = await client.read_global_concurrency_limit_by_name(limit_name(name))
            assert found.name == limit_name(name)
    assert len({limit_name(name) for name in names}) == 3


async def test_the_limit_is_created_once_and_an_operators_change_is_kept(
    settings: Settings, prefect_api: None
) -> None:
    vendor = a_vendor()
    assert await ensure_vendor_limit(vendor) == settings.vendor_concurrency == 4

    async with get_client() as client:
        await client.update_global_concurrency_limit(
            limit_name(vendor.name), GlobalConcurrencyLimitUpdate(limit=1)
        )
    assert await ensure_vendor_limit(vendor) == 1  # not reset to the default
    async with get_client() as client:
        stored = await client.read_global_concurrency_limit_by_name(limit_name(vendor.name))
    assert (stored.limit, stored.active_slots) == (1, 0)


async def test_a_request_waits_while_every_slot_of_its_vendor_is_taken(
    settings: Settings,
    prefect_api: None,
    simulator_server: StartSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIMITED_VENDOR_TOKEN", "sim-token")
    monkeypatch.setenv("TRIALS_VENDOR_CONCURRENCY", "1")
    vendor = a_vendor(simulator_server(SimulatorConfig(seconds_per_day=0.02)))
    assert await ensure_vendor_limit(vendor) == 1
    api = await vendor_api(vendor)

    async with vendor_slot(vendor.name):  # another request holds the only slot
        call = asyncio.create_task(api.health())
        await asyncio.sleep(1.5)
        assert not call.done()
    health = await asyncio.wait_for(call, timeout=30)  # the slot is free: the request goes

    assert health.status == "ok"
    async with get_client() as client:
        stored = await client.read_global_concurrency_limit_by_name(limit_name(vendor.name))
    assert stored.active_slots == 0  # and gave its slot back


async def test_a_vendor_without_a_limit_is_not_held_back(
    settings: Settings,
    prefect_api: None,
    simulator_server: StartSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIMITED_VENDOR_TOKEN", "sim-token")
    vendor = a_vendor(simulator_server(SimulatorConfig(seconds_per_day=0.02)))
    api = await vendor_api(vendor)
    answers = await asyncio.wait_for(asyncio.gather(*(api.health() for _ in range(5))), 30)
    assert [a.status for a in answers] == ["ok"] * 5
