"""Redmine's REST API over one httpx.AsyncClient: JSON in and out, pages read to the end,
failures worded for Redmine (a wrong key, the REST API turned off, a project not visible)."""

from __future__ import annotations

import json
from typing import Any

import httpx
from pydantic import SecretStr

from adapters.errors import (
    VendorAuthError,
    VendorContractError,
    VendorError,
    VendorNotFound,
    VendorSetupError,
)
from adapters.http import CallStats, Requester
from adapters.redact import protect
from config import Settings, get_settings

Json = dict[str, Any]
PAGE = 100  # Redmine's largest page


class Forbidden(VendorSetupError):
    """Redmine's 403: the REST API is off, or the key's user may not see or do this."""


class RedmineRest:
    """One Redmine; every call is named for the error messages, as the Work API's are."""

    def __init__(
        self,
        *,
        vendor: str,
        base_url: str,
        key: SecretStr,
        settings: Settings | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        protect(key.get_secret_value())
        self.vendor = vendor
        self.requests = Requester.open(
            vendor,
            base_url,
            {"X-Redmine-API-Key": key.get_secret_value()},
            settings or get_settings(),
            transport,
        )

    @property
    def stats(self) -> CallStats:
        """Calls, attempts and retries so far."""
        return self.requests.stats

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.requests.http.aclose()

    async def get(self, call: str, path: str, params: dict[str, str] | None = None) -> Json:
        """A GET's JSON answer."""
        return self._json(call, await self.response(call, path, params))

    async def response(
        self, call: str, path: str, params: dict[str, str] | None = None
    ) -> httpx.Response:
        """A GET's whole answer (its headers too), failures worded for Redmine."""
        return await self._send(call, "GET", path, params=params)

    async def pages(
        self, call: str, path: str, key: str, params: dict[str, str] | None = None
    ) -> list[Json]:
        """Every item of a paged list (`key` names the list in the answer), page by page."""
        items: list[Json] = []
        while True:
            page = await self.get(
                call, path, {**(params or {}), "offset": str(len(items)), "limit": str(PAGE)}
            )
            batch = page.get(key, [])
            items += batch
            if not batch or len(items) >= int(page.get("total_count", len(items))):
                return items

    async def raw(self, call: str, url: str) -> bytes:
        """The bytes at a URL of this Redmine (an attachment's content_url). The key goes
        only to the plan's own Redmine: a URL Redmine gives for another scheme, host or
        port (behind a proxy, `http://` for an `https://` site) is fetched from the plan's
        origin, at its path."""
        given, base = httpx.URL(url), self.requests.http.base_url
        same = (given.scheme, given.host, given.port) == (base.scheme, base.host, base.port)
        target = url if same else str(base.copy_with(raw_path=given.raw_path))
        response = await self._send(call, "GET", target)
        return response.content

    async def post(self, call: str, path: str, body: Json) -> Json:
        """A POST, sent once: Redmine has no Idempotency-Key, so the caller looks up first."""
        response = await self._send(call, "POST", path, body=json.dumps(body).encode())
        return self._json(call, response) if response.content.strip() else {}

    async def upload(self, call: str, name: str, content: bytes) -> str:
        """Upload bytes; the token to attach them with."""
        response = await self._send(
            call,
            "POST",
            "/uploads.json",
            body=content,
            params={"filename": name},
            content_type="application/octet-stream",
        )
        return str(self._json(call, response)["upload"]["token"])

    async def put(self, call: str, path: str, body: Json, *, repeatable: bool = False) -> None:
        """A PUT; retried only when `repeatable` (it sets a state, and writes no note)."""
        await self._send(call, "PUT", path, body=json.dumps(body).encode(), effectless=repeatable)

    async def delete(self, call: str, path: str) -> bool:
        """A DELETE, retried (deleting twice is deleting once); False when already gone."""
        try:
            await self._send(call, "DELETE", path, effectless=True)
        except VendorNotFound:
            return False
        return True

    async def _send(self, call: str, method: str, path: str, **kw: Any) -> httpx.Response:
        try:
            return await self.requests.send(call, method, path, **kw)
        except VendorAuthError as exc:
            raise _auth_problem(exc) from None

    def _json(self, call: str, response: httpx.Response) -> Json:
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise VendorContractError(self.vendor, call, f"not JSON: {response.text[:120]!r}")
        return data

    def setup_error(self, call: str, what: str, fix: str) -> VendorSetupError:
        """A Redmine that is not set up as the plan says."""
        return VendorSetupError(self.vendor, call, what, fix)


def _auth_problem(exc: VendorAuthError) -> VendorError:
    """401 and 403 as Redmine means them: a wrong key; the REST API off or a missing right."""
    if "HTTP 401" in exc.what:
        return VendorSetupError(
            exc.vendor,
            exc.call,
            "Redmine refused the API key (401)",
            "check the key the plan names (vendor.api.token): in Redmine, My account → "
            "API access key → Show; if Redmine says the REST API is off, an administrator "
            "turns it on in Administration → Settings → API",
        )
    return Forbidden(
        exc.vendor,
        exc.call,
        "Redmine forbade it (403): the REST API is off, or the key's user lacks the right",
        "an administrator turns the REST API on (Administration → Settings → API) and gives "
        "the key's user a role in the project with the permission this call needs",
    )
