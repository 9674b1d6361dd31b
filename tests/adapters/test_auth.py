"""The API token comes from where the plan says, and its absence is a clear error."""

from __future__ import annotations

import pytest

from adapters.auth import resolve_token
from adapters.errors import VendorAuthError
from models.plan import TokenRef


async def test_the_token_comes_from_the_named_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_API_TOKEN", "s3cret-value")
    token = await resolve_token("Acme", TokenRef(env="ACME_API_TOKEN"))
    assert token.get_secret_value() == "s3cret-value" and "s3cret" not in repr(token)


async def test_a_missing_variable_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_API_TOKEN", raising=False)
    with pytest.raises(VendorAuthError) as raised:
        await resolve_token("Acme", TokenRef(env="ACME_API_TOKEN"))
    assert str(raised.value).startswith(
        "Vendor Acme, read the API token: the environment variable ACME_API_TOKEN is not set"
    )
    assert "check the token the plan names" in str(raised.value)


async def test_the_token_comes_from_the_named_secret_block(prefect_api: None) -> None:
    from prefect.blocks.system import Secret

    await Secret(value="block-held-token").save("acme-api-token", overwrite=True)
    token = await resolve_token("Acme", TokenRef(secret="acme-api-token"))
    assert token.get_secret_value() == "block-held-token"


async def test_a_missing_secret_block_says_how_to_create_it(prefect_api: None) -> None:
    with pytest.raises(VendorAuthError, match="no Prefect Secret block named 'nobody-saved-me'"):
        await resolve_token("Acme", TokenRef(secret="nobody-saved-me"))
