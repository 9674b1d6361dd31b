"""`trials check-vendor`: can the engine reach the plan's vendor, and does its token work?"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from config import get_settings

if TYPE_CHECKING:
    from models.plan import Plan


def check_vendor(
    plan: Annotated[
        Path, typer.Argument(help="The plan file.", metavar="PLAN", show_default=False)
    ],
) -> None:
    """Check the vendor's API is up and the plan's token is accepted, before a trial starts."""
    from config.prefect import prepare_prefect
    from planfile import load_plan, require_valid

    checked = require_valid(load_plan(plan, get_settings().policy))
    prepare_prefect(quiet_console=True)  # a token in a Secret block is read through Prefect
    typer.echo(asyncio.run(_check(checked)))


async def _check(plan: Plan) -> str:
    from adapters.auth import resolve_token
    from adapters.registry import connect_to
    from models.context import vendor_info

    api = plan.vendor.api
    token = await resolve_token(plan.vendor.name, api.token)
    vendor = connect_to(vendor_info(plan.vendor.name, str(api.base_url), plan), token)
    try:
        health = await vendor.health()
        who = await vendor.whoami()
    finally:
        await vendor.aclose()
    return (
        f"{plan.vendor.name} at {api.base_url} is {health.status}; the token belongs to "
        f"{who.vendor} for {who.client}, scopes: {', '.join(who.scopes) or 'none'}."
    )
