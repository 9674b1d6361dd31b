"""One open vendor API per vendor, process and event loop, built from the plan and settings."""

from __future__ import annotations

import asyncio

from pydantic import SecretStr

from models.context import VendorInfo
from vendor.adapters import VendorAPI, VendorConnection, connect
from vendor.auth import resolve_token

_open: dict[tuple[str, str, int], VendorAPI] = {}
_tokens: dict[str, SecretStr] = {}


async def vendor_api(vendor: VendorInfo) -> VendorAPI:
    """The vendor's API for this event loop; the token is resolved once per process."""
    key = (vendor.name, vendor.base_url, id(asyncio.get_running_loop()))
    if key not in _open:
        token_key = vendor.token.model_dump_json()
        if token_key not in _tokens:
            _tokens[token_key] = await resolve_token(vendor.name, vendor.token)
        _open[key] = connect(
            VendorConnection(
                vendor=vendor.name,
                base_url=vendor.base_url,
                token=_tokens[token_key],
                adapter=vendor.adapter,
            )
        )
    return _open[key]


async def close_all() -> None:
    """Close the connections opened on this event loop."""
    loop = id(asyncio.get_running_loop())
    for key in [k for k in _open if k[2] == loop]:
        await _open.pop(key).aclose()
