"""The API token comes from where the plan says, and its absence is a clear error."""

from __future__ import annotations

import pytest

from models.plan import TokenRef
from vendor.auth import resolve_token
from vendor.errors import VendorAuthError


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
