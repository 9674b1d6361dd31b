"""The adapter seam: a vendor with its own API is mapped onto the contract by name."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from adapters.contract import WhoAmI
from adapters.errors import VendorError
from adapters.registry import VendorConnection, connect, register
from adapters.work_api import VendorClient


class TicketDesk(VendorClient):
    """A vendor whose API says `/api/me` and `permissions` where the contract says otherwise."""

    async def whoami(self) -> WhoAmI:
        response = await self._requests.send("auth check", "GET", "/api/me")
        me = response.json()
        return WhoAmI(vendor=me["company"], client=me["account"], scopes=me["permissions"])


def legacy_api(request: httpx.Request) -> httpx.Response:
    assert request.url.path == "/api/me"
    return httpx.Response(
        200, json={"company": "Desk Co", "account": "acme", "permissions": ["tickets:write"]}
    )


@register("ticket-desk")
def ticket_desk(connection: VendorConnection) -> TicketDesk:
    return TicketDesk(
        vendor=connection.vendor,
        base_url=connection.base_url,
        token=connection.token,
        transport=httpx.MockTransport(legacy_api),
    )


async def test_a_plan_naming_an_adapter_gets_the_mapped_api() -> None:
    api = connect(
        VendorConnection(
            vendor="Desk Co",
            base_url="http://desk.test/",
            token=SecretStr("t"),
            adapter="ticket-desk",
        )
    )
    try:
        assert await api.whoami() == WhoAmI(
            vendor="Desk Co", client="acme", scopes=["tickets:write"]
        )
    finally:
        await api.aclose()


def test_the_default_adapter_is_the_work_api_client() -> None:
    api = connect(
        VendorConnection(vendor="Acme", base_url="http://acme.test/", token=SecretStr("t"))
    )
    assert type(api) is VendorClient


def test_an_unknown_adapter_is_refused_with_the_known_ones() -> None:
    with pytest.raises(VendorError, match=r"no adapter named 'sap-bridge' \(known: .*work-api"):
        connect(
            VendorConnection(
                vendor="Acme",
                base_url="http://acme.test/",
                token=SecretStr("t"),
                adapter="sap-bridge",
            )
        )
