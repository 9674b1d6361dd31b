"""The vendor API token, from the Secret block or environment variable the plan names."""

from __future__ import annotations

import os

from pydantic import SecretStr

from adapters.errors import VendorAuthError
from models.plan import TokenRef


async def resolve_token(vendor: str, ref: TokenRef) -> SecretStr:
    """The token the plan points at; a clear VendorAuthError when it is not there."""
    if ref.env is not None:
        # The plan names the variable, so it is read by that name rather than via Settings.
        value = os.environ.get(ref.env, "")
        if not value:
            raise VendorAuthError(
                vendor,
                "read the API token",
                f"the environment variable {ref.env} is not set or empty",
            )
        return SecretStr(value)
    from prefect.blocks.system import Secret

    name = str(ref.secret)
    try:
        block: Secret[str] = await Secret.aload(name)
    except ValueError:
        raise VendorAuthError(
            vendor,
            "read the API token",
            f"there is no Prefect Secret block named '{name}'; create it in the UI "
            f"or with Secret(value=...).save('{name}')",
        ) from None
    return SecretStr(str(block.get()))
