"""The receiver against the Standard Webhooks spec's receiver duties: every listed signature
is tried, the secret's format is checked before any delivery, and a body it cannot handle is
a 4xx problem, never a 500."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from pydantic import SecretStr

from config import Settings
from tests.webhooks.conftest import SECRET, VENDOR, event_body, signed
from tests.webhooks.test_receiver import assert_problem, rows
from webhooks.errors import NotConfigured
from webhooks.verify import verifier

URL = f"/webhooks/{VENDOR}"
OTHER_SECRET = "whsec_" + base64.b64encode(b"another-vendor-secret-of-32-byte").decode()


@pytest.mark.parametrize(
    "listed",
    [
        "v1,not-base64! {good}",  # an entry that cannot be decoded, then the right one
        "v1,a,b {good}",
        "v1 {good}",
        "{other} {good}",  # the old secret's signature and the new one's, while rotating
        "v2,{good_bytes} {good}",  # a version this receiver does not know, then v1
        "{good}  v1,xyz",  # two spaces, and garbage after a valid entry
    ],
)
def test_every_listed_signature_is_tried(
    listed: str, receiver: httpx.Client, hook_settings: Settings
) -> None:
    body = event_body()
    headers = signed(body)
    good = headers["webhook-signature"]
    other = signed(body, webhook_id=headers["webhook-id"], secret=OTHER_SECRET)
    at = {"webhook-timestamp": headers["webhook-timestamp"]}
    assert other["webhook-timestamp"] == at["webhook-timestamp"]
    value = listed.format(
        good=good, good_bytes=good.split(",", 1)[1], other=other["webhook-signature"]
    )
    response = receiver.post(URL, content=body, headers={**headers, "webhook-signature": value})
    assert response.status_code == 202, response.text
    assert [row.webhook_id for row in rows(hook_settings)] == [headers["webhook-id"]]


def test_no_valid_entry_among_several_is_refused(
    receiver: httpx.Client, hook_settings: Settings
) -> None:
    body = event_body()
    headers = signed(body)
    other = signed(body, webhook_id=headers["webhook-id"], secret=OTHER_SECRET)
    listed = f"v1,not-base64! {other['webhook-signature']} v2,{headers['webhook-signature'][3:]}"
    response = receiver.post(URL, content=body, headers={**headers, "webhook-signature": listed})
    assert_problem(response, 401, "bad-signature")
    assert rows(hook_settings) == []


@pytest.mark.parametrize("depth", [33, 200, 5000, 100_000])
def test_a_deeply_nested_body_is_a_bad_request_not_a_500(
    depth: int, receiver: httpx.Client, hook_settings: Settings
) -> None:
    event = json.loads(event_body())
    text = json.dumps(event)[:-1] + ', "nested": ' + "[" * depth + "]" * depth + "}"
    body = text.encode()
    response = receiver.post(URL, content=body, headers=signed(body))
    problem = assert_problem(response, 400, "bad-delivery")
    assert "more than 32 levels deep" in problem["detail"]
    assert rows(hook_settings) == []


def test_a_body_nested_as_deep_as_allowed_is_read(
    receiver: httpx.Client, hook_settings: Settings
) -> None:
    body = event_body(data={"nested": json.loads("[" * 30 + "]" * 30)})
    response = receiver.post(URL, content=body, headers=signed(body))
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        ("not-a-secret", "no whsec_ prefix"),
        ("whsec_hello world!", "text that is not base64"),
        ("whsec_" + base64.b64encode(b"too short").decode(), "9 bytes"),
        ("whsec_" + base64.b64encode(b"x" * 65).decode(), "65 bytes"),
        ("whsec_", "text that is not base64"),
    ],
)
def test_a_secret_that_is_not_the_specs_format_is_refused_before_any_delivery(
    secret: str, says: str
) -> None:
    with pytest.raises(NotConfigured) as refused:
        verifier(SecretStr(secret))
    assert says in str(refused.value)
    assert secret.removeprefix("whsec_") not in str(refused.value) or not secret[6:]


@pytest.mark.parametrize("key_bytes", [24, 32, 64])
def test_a_secret_of_24_to_64_bytes_is_taken_padded_or_not(key_bytes: int) -> None:
    encoded = base64.b64encode(bytes(range(key_bytes))).decode()
    verifier(SecretStr("whsec_" + encoded))
    verifier(SecretStr("whsec_" + encoded.rstrip("=")))
    verifier(SecretStr(SECRET))
