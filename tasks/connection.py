"""One open vendor API per vendor, process and event loop, built from the plan and settings;
and the vendor's concurrency limit, which bounds the requests in flight to it."""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
from prefect.concurrency.asyncio import concurrency
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound
from prefect.settings import PREFECT_API_URL
from pydantic import SecretStr

from adapters.auth import resolve_token
from adapters.http import set_request_gate
from adapters.registry import VendorAPI, connect_to
from config import get_settings
from models.context import VendorInfo
from models.names import readable_slug

_open: dict[tuple[str, int], VendorAPI] = {}
_tokens: dict[str, SecretStr] = {}


def limit_name(vendor: str) -> str:
    """The name of the vendor's Prefect global concurrency limit: `vendor-<name>`, readable
    in the name's own script (`vendor-株式会社サンプル`)."""
    return "vendor-" + readable_slug(vendor)


def vendor_slot(vendor: str) -> AbstractAsyncContextManager[None]:
    """One slot of the vendor's concurrency limit, held while a request is in flight.

    A vendor without a limit (onboarded before limits existed) is not held back.
    """
    return concurrency(limit_name(vendor), occupy=1, strict=False)


@task(cache_policy=NO_CACHE)
async def ensure_vendor_limit(vendor: VendorInfo) -> int:
    """Create the vendor's concurrency limit unless it exists; return the limit in force.

    An existing limit is kept as it is: an operator may have raised or lowered it.
    """
    name = limit_name(vendor.name)
    async with get_client() as client:
        try:
            return (await client.read_global_concurrency_limit_by_name(name)).limit
        except ObjectNotFound:
            pass
        limit = get_settings().vendor_concurrency
        try:
            await client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=limit)
            )
        except ObjectAlreadyExists:  # another run created it meanwhile
            return (await client.read_global_concurrency_limit_by_name(name)).limit
        return limit


async def vendor_api(vendor: VendorInfo) -> VendorAPI:
    """The vendor's API for this event loop; the token is resolved once per process.

    Against a Prefect server, every request made through it holds a slot of the vendor's
    concurrency limit, which all the workers share. With the temporary server of a single
    process, the slots would only repeat what the process's connection pool to the vendor
    already bounds, and each one costs two writes to that server's SQLite: in
    `trials demo` they collided about 30 times, and each collision costs seconds.
    """
    key = (vendor.model_dump_json(exclude={"token"}), id(asyncio.get_running_loop()))
    if key not in _open:
        set_request_gate(vendor_slot if PREFECT_API_URL.value() else None)
        token_key = vendor.token.model_dump_json()
        if token_key not in _tokens:
            _tokens[token_key] = await resolve_token(vendor.name, vendor.token)
        _open[key] = connect_to(vendor, _tokens[token_key])
    return _open[key]


async def close_all() -> None:
    """Close the connections opened on this event loop."""
    loop = id(asyncio.get_running_loop())
    for key in [k for k in _open if k[1] == loop]:
        await _open.pop(key).aclose()
