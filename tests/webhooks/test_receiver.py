"""The receiver over a real socket: what each delivery gets back, and what reaches the store."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select

import webhooks.app
from config import Settings
from models.tables import WebhookEvent
from store.db import read_session
from tests.conftest import VALID_PLAN
from tests.webhooks.conftest import (
    TRIAL,
    VENDOR,
    Emitted,
    event_body,
    serving,
    signed,
    store_plan,
)
from webhooks.app import create_app
from webhooks.events import event_id

URL = f"/webhooks/{VENDOR}"


def rows(settings: Settings) -> list[WebhookEvent]:
    with read_session(settings) as session:
        return list(session.exec(select(WebhookEvent)))


def assert_problem(
    response: httpx.Response, status: int, slug: str, instance: str = URL
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"tag:vendor-trials,2026:webhooks/{slug}"
    assert problem["status"] == status
    assert problem["title"] and problem["detail"]
    assert problem["instance"] == instance
    assert "Traceback" not in response.text
    return problem


def test_a_good_delivery_is_recorded_once_and_emitted(
    receiver: httpx.Client, hook_settings: Settings, emitted: Emitted
) -> None:
    body = event_body(occurred_at="2026-11-27T10:00:00+02:00")
    headers = signed(body, webhook_id="msg_good")
    before = datetime.now(UTC)

    response = receiver.post(URL, content=body, headers=headers)

    assert response.status_code == 202, response.text
    assert response.json() == {"status": "recorded"}
    [row] = rows(hook_settings)
    assert (row.webhook_id, row.vendor, row.type, row.trial, row.subject) == (
        "msg_good",
        VENDOR,
        "deliverable.submitted",
        TRIAL,
        "dlv-42",
    )
    assert row.body_sha256 == hashlib.sha256(body).hexdigest()
    assert row.payload == body.decode()
    assert as_utc(row.occurred_at) == datetime(2026, 11, 27, 8, tzinfo=UTC)
    assert before - timedelta(seconds=1) <= as_utc(row.received_at) <= datetime.now(UTC)
    [event] = emitted()
    assert event.event == "trials.vendor.deliverable.submitted"
    assert event.id == event_id("msg_good")
    assert event.resource.id == f"trials.trial.{TRIAL}"
    assert event.resource.name == TRIAL
    assert {(r.role, r.id) for r in event.related} == {
        ("vendor", f"trials.vendor.{VENDOR}"),
        ("deliverable", f"trials.vendor.{VENDOR}.deliverable.dlv-42"),
    }
    assert event.payload["occurred_at"] == "2026-11-27T08:00:00+00:00"
    assert event.payload["data"] == {"work_item_id": "wi-7", "name": "runbook.pdf"}


def test_a_duplicate_is_acknowledged_but_neither_recorded_nor_emitted_again(
    receiver: httpx.Client, hook_settings: Settings, emitted: Emitted
) -> None:
    body = event_body()
    first = receiver.post(URL, content=body, headers=signed(body, webhook_id="msg_dup"))
    again = receiver.post(URL, content=body, headers=signed(body, webhook_id="msg_dup"))

    assert (first.status_code, first.json()) == (202, {"status": "recorded"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert len(rows(hook_settings)) == 1
    assert [e.id for e in emitted()] == [event_id("msg_dup")]


def test_a_delivery_whose_event_was_never_emitted_is_emitted_when_sent_again(
    receiver: httpx.Client,
    hook_settings: Settings,
    emitted: Emitted,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = event_body()

    def crash(**_: object) -> bool:
        raise RuntimeError("the receiver stops between recording and emitting")

    with monkeypatch.context() as cut:
        cut.setattr(webhooks.app, "announce", crash)
        try:
            first = receiver.post(URL, content=body, headers=signed(body, webhook_id="msg_lost"))
            acknowledged = first.is_success  # a 500
        except httpx.TransportError:
            acknowledged = False  # or the connection dropped, as when the process dies
    assert not acknowledged  # so the sender will send it again
    [row] = rows(hook_settings)
    assert row.emitted_at is None and emitted() == []

    with httpx.Client(base_url=receiver.base_url) as sender:  # the retry: a new connection
        again = sender.post(URL, content=body, headers=signed(body, webhook_id="msg_lost"))
        third = sender.post(URL, content=body, headers=signed(body, webhook_id="msg_lost"))

    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert (third.status_code, third.json()) == (200, {"status": "duplicate"})
    [row] = rows(hook_settings)
    assert row.emitted_at is not None
    assert [e.id for e in emitted()] == [event_id("msg_lost")]  # once, by the second


def test_concurrent_deliveries_of_one_id_record_it_once(
    receiver: httpx.Client, hook_settings: Settings, emitted: Emitted
) -> None:
    body = event_body()
    headers = signed(body, webhook_id="msg_race")
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(lambda _: receiver.post(URL, content=body, headers=headers), range(8))
        )

    assert sorted(a.status_code for a in answers) == [200] * 7 + [202]
    assert len(rows(hook_settings)) == 1
    assert len(emitted()) == 1


def test_the_same_id_with_another_body_is_a_replay(
    receiver: httpx.Client, hook_settings: Settings, emitted: Emitted
) -> None:
    body = event_body()
    forged = event_body(subject="dlv-666")
    receiver.post(URL, content=body, headers=signed(body, webhook_id="msg_1"))

    response = receiver.post(URL, content=forged, headers=signed(forged, webhook_id="msg_1"))

    problem = assert_problem(response, 409, "replayed-id")
    assert "'msg_1'" in problem["detail"] and "different body" in problem["detail"]
    [row] = rows(hook_settings)
    assert row.subject == "dlv-42"
    assert len(emitted()) == 1


def test_the_same_id_from_another_vendor_is_a_replay(
    receiver: httpx.Client, hook_settings: Settings, tmp_path: Path
) -> None:
    other_plan = VALID_PLAN.replace("trial: pilot-desk", "trial: other-desk").replace(
        "name: Desk Co", "name: Other Co"
    )
    store_plan(hook_settings, tmp_path, other_plan)
    body = event_body()
    receiver.post(URL, content=body, headers=signed(body, webhook_id="msg_1"))

    theirs = event_body(trial="other-desk")
    response = receiver.post(
        "/webhooks/other-co", content=theirs, headers=signed(theirs, webhook_id="msg_1")
    )

    assert response.status_code == 409
    assert "another vendor" in response.json()["detail"]
    assert [row.vendor for row in rows(hook_settings)] == [VENDOR]


@pytest.mark.parametrize(
    ("path", "trial", "status", "kind", "said"),
    [
        (
            "/webhooks/nobody",
            TRIAL,
            404,
            "unknown-vendor",
            "No stored trial has the vendor 'nobody'",
        ),
        ("/webhooks/Desk%20Co", TRIAL, 404, "unknown-vendor", "the vendor's name as `trials show`"),
        ("/webhooks/%E6%A0%AA", TRIAL, 404, "unknown-vendor", "No stored trial has the vendor"),
        (URL, "someone-elses-trial", 422, "unknown-trial", "not a trial of the vendor 'desk-co'"),
    ],
)
def test_a_delivery_from_an_unknown_vendor_or_for_another_trial_is_refused_and_not_recorded(
    receiver: httpx.Client,
    hook_settings: Settings,
    emitted: Emitted,
    path: str,
    trial: str,
    status: int,
    kind: str,
    said: str,
) -> None:
    body = event_body(trial=trial)
    response = receiver.post(path, content=body, headers=signed(body))

    problem = assert_problem(response, status, kind, instance=httpx.URL(path).path)
    assert said in problem["detail"]
    assert rows(hook_settings) == [] and emitted() == []


def test_a_bad_signature_is_refused(receiver: httpx.Client, hook_settings: Settings) -> None:
    body = event_body()
    other_secret = "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE="
    response = receiver.post(URL, content=body, headers=signed(body, secret=other_secret))

    problem = assert_problem(response, 401, "bad-signature")
    assert "shared secret" in problem["detail"]
    assert rows(hook_settings) == []


def test_a_body_changed_after_signing_is_refused(
    receiver: httpx.Client, hook_settings: Settings
) -> None:
    headers = signed(event_body())
    response = receiver.post(URL, content=event_body(subject="dlv-43"), headers=headers)

    assert_problem(response, 401, "bad-signature")
    assert rows(hook_settings) == []


def test_missing_or_garbled_signature_headers_are_refused_not_crashed(
    receiver: httpx.Client, hook_settings: Settings
) -> None:
    body = event_body()
    headers = signed(body)
    unsigned = {k: v for k, v in headers.items() if k != "webhook-signature"}
    problem = assert_problem(
        receiver.post(URL, content=body, headers=unsigned), 401, "bad-signature"
    )
    assert "webhook-signature" in problem["detail"]
    for garbled in ("v1", "v1,not base64!", "v1,a,b", "garbage"):
        response = receiver.post(
            URL, content=body, headers={**headers, "webhook-signature": garbled}
        )
        assert_problem(response, 401, "bad-signature")
    bad_time = {**headers, "webhook-timestamp": "yesterday"}
    assert_problem(receiver.post(URL, content=body, headers=bad_time), 401, "bad-signature")
    assert rows(hook_settings) == []


def test_a_stale_or_future_timestamp_is_refused(
    receiver: httpx.Client, hook_settings: Settings
) -> None:
    body = event_body()
    now = datetime.now(UTC)
    stale = signed(body, at=now - timedelta(minutes=5, seconds=30))
    ahead = signed(body, at=now + timedelta(minutes=6))

    old = assert_problem(receiver.post(URL, content=body, headers=stale), 401, "stale-timestamp")
    new = assert_problem(receiver.post(URL, content=body, headers=ahead), 401, "stale-timestamp")

    assert " s old " in old["detail"] and "300 s" in old["detail"]
    assert "in the future" in new["detail"]
    assert rows(hook_settings) == []


def test_a_timestamp_inside_the_window_is_accepted(receiver: httpx.Client) -> None:
    body = event_body()
    headers = signed(body, at=datetime.now(UTC) - timedelta(minutes=4))
    assert receiver.post(URL, content=body, headers=headers).status_code == 202


def test_malformed_json_is_a_bad_request(receiver: httpx.Client, hook_settings: Settings) -> None:
    body = b'{"type": "deliverable.submitted", '
    problem = assert_problem(
        receiver.post(URL, content=body, headers=signed(body)), 400, "bad-delivery"
    )
    assert problem["detail"].startswith("The body is not JSON")
    assert rows(hook_settings) == []


def test_a_body_off_the_contract_is_a_bad_request(
    receiver: httpx.Client, hook_settings: Settings
) -> None:
    body = event_body(type="deliverable.eaten", occurred_at=None)
    problem = assert_problem(
        receiver.post(URL, content=body, headers=signed(body)), 400, "bad-delivery"
    )
    assert "type: Input should be" in problem["detail"]
    assert "occurred_at:" in problem["detail"]
    for wrong in (b"[]", b'"text"', b"null"):
        assert receiver.post(URL, content=wrong, headers=signed(wrong)).status_code == 400
    assert rows(hook_settings) == []


def test_a_body_that_is_not_utf8_is_a_bad_request(
    receiver: httpx.Client, hook_settings: Settings
) -> None:
    body = b'{"subject": "\xff"}'
    headers = signed(event_body())
    problem = assert_problem(receiver.post(URL, content=body, headers=headers), 400, "bad-delivery")
    assert "not UTF-8" in problem["detail"]
    assert rows(hook_settings) == []


def test_a_huge_body_is_refused_before_it_is_read(
    receiver: httpx.Client, hook_settings: Settings
) -> None:
    body = event_body(data={"blob": "x" * (1024 * 1024)})
    assert_problem(receiver.post(URL, content=body, headers=signed(body)), 413, "too-large")
    chunks = iter([body[:1000], body[1000:]])  # no Content-Length: streamed, counted as read
    response = receiver.post(URL, content=chunks, headers=signed(body))
    assert_problem(response, 413, "too-large")
    assert rows(hook_settings) == []


def test_without_a_secret_the_receiver_says_how_to_set_one(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"webhook_secret": None}))
    body = event_body()
    with serving(app) as url:
        response = httpx.post(url + URL, content=body, headers=signed(body))

    problem = assert_problem(response, 503, "not-configured")
    assert "TRIALS_WEBHOOK_SECRET" in problem["detail"]
    assert rows(settings) == []


def test_a_store_without_tables_is_a_503_not_a_traceback(
    hook_settings: Settings, tmp_path: Any
) -> None:
    empty = hook_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"})
    body = event_body()
    with serving(create_app(empty)) as url:
        response = httpx.post(url + URL, content=body, headers=signed(body))

    problem = assert_problem(response, 503, "store-unavailable")
    assert "sqlite" not in problem["detail"]  # the store's location stays in the log


def test_other_routes_and_methods_answer_problems_too(receiver: httpx.Client) -> None:
    missing = receiver.post("/webhooks", content=b"{}")
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    wrong_method = receiver.get(URL)
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "POST"
    assert wrong_method.json()["title"] == "Method Not Allowed"
    too_long = receiver.post(f"/webhooks/{'v' * 201}", content=b"{}")
    assert too_long.status_code == 400
    assert "vendor" in too_long.json()["detail"]


def as_utc(when: datetime) -> datetime:
    """A stored time as aware UTC; SQLite hands it back without its zone."""
    return when if when.tzinfo else when.replace(tzinfo=UTC)
