"""Every operation answers bad requests with a status its document lists, as problem+json.

Schemathesis leaves some kinds out (a `/` in a path parameter, bodies sent as other media
types), so each kind is sent here to every operation of the committed document.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from simulator.app import create_app
from simulator.config import SimulatorConfig
from simulator.errors import PROBLEM_MEDIA_TYPE
from simulator.openapi import SPEC_PATH
from simulator.serve import serve, wait_healthy
from tests.simulator.helpers import TOKEN

DOCUMENT = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
ROWS = [
    (method.upper(), path, operation)
    for path, item in DOCUMENT["paths"].items()
    for method, operation in item.items()
]
# As sent on the wire: percent-encoded where HTTP needs it.
PATH_VALUES = [
    "%C3%A9t%C3%A9",  # non-ASCII
    "%E6%97%A5%E6%9C%AC",
    "%ED%A0%80",  # an encoded lone surrogate, not UTF-8
    "%FF",
    "%00",
    "%25",
    "%",
    "a%2Fb",  # an encoded slash
    "..%5C",
    "%20",
    "x" * 5000,
]
BODIES = [b"\xff\xfe\x00", b"{", b"[" * 100_000, b"null", b'"text"', b"[]", b"{}", b""]
MEDIA_TYPES = [
    "text/plain",
    "application/xml",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
]
AUTHORIZATIONS = [None, "Bearer wrong", "Basic c2ltOnRva2Vu", "Bearer", "sim-token"]


def params(rows: list[tuple[str, str, dict[str, Any]]]) -> list[Any]:
    """Operations as test parameters, named by method and path."""
    return [pytest.param(*row, id=f"{row[0]} {row[1]}") for row in rows]


OPERATIONS = params(ROWS)
WITH_PATH_PARAMETERS = params([row for row in ROWS if "{" in row[1]])
WITH_BODY = params([row for row in ROWS if "requestBody" in row[2]])


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """A client of one reliable simulator, authenticated, for the whole module."""
    with serve(create_app(SimulatorConfig(seconds_per_day=0.5))) as base_url:
        wait_healthy(base_url)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=10.0) as http:
            yield http


def url(path: str, value: str = "x") -> str:
    """The operation's path with every parameter set to `value`."""
    return re.sub(r"\{[^}]+\}", value, path)


def example_body(operation: dict[str, Any]) -> bytes:
    """The operation's documented example body, as JSON."""
    examples = operation["requestBody"]["content"]["application/json"]["examples"]
    return json.dumps(next(iter(examples.values()))["value"]).encode()


def assert_documented(operation: dict[str, Any], response: httpx.Response) -> None:
    sent = f"{response.request.method} {response.request.url}"
    assert str(response.status_code) in operation["responses"], (
        f"{sent} answered {response.status_code}, which the document does not list: "
        f"{response.text[:300]}"
    )
    if response.status_code >= 400:
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE, sent
        assert response.json()["status"] == response.status_code, sent


@pytest.mark.parametrize(("method", "path", "operation"), WITH_PATH_PARAMETERS)
def test_any_path_parameter(
    client: httpx.Client, method: str, path: str, operation: dict[str, Any]
) -> None:
    body = example_body(operation) if "requestBody" in operation else None
    for value in PATH_VALUES:
        # A key of its own, so that each value reaches the operation, not a replay check.
        headers = {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        response = client.request(method, url(path, value), content=body, headers=headers)
        assert_documented(operation, response)


@pytest.mark.parametrize(("method", "path", "operation"), WITH_BODY)
def test_any_body_and_media_type(
    client: httpx.Client, method: str, path: str, operation: dict[str, Any]
) -> None:
    for number, body in enumerate(BODIES):
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"body-{number}"}
        assert_documented(
            operation, client.request(method, url(path), content=body, headers=headers)
        )
    for media_type in MEDIA_TYPES:
        headers = {"Content-Type": media_type, "Idempotency-Key": f"media-{media_type}"}
        response = client.request(
            method, url(path), content=example_body(operation), headers=headers
        )
        assert response.status_code == 415, response.text
        assert_documented(operation, response)


@pytest.mark.parametrize(("method", "path", "operation"), OPERATIONS)
def test_any_authorization(
    client: httpx.Client, method: str, path: str, operation: dict[str, Any]
) -> None:
    for authorization in AUTHORIZATIONS:
        headers = {"Authorization": authorization} if authorization else {}
        with httpx.Client(base_url=client.base_url, headers=headers, timeout=10.0) as anonymous:
            response = anonymous.request(method, url(path))
        if operation.get("security"):
            assert response.status_code == 401, response.text
        assert_documented(operation, response)
