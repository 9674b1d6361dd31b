"""Simulated time moves work along: delivery, files, measurements, hours, invoices, answers."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from simulator.clock import SimClock
from simulator.config import SimulatorConfig
from simulator.runtime import Simulator
from tests.conftest import StartSimulator
from tests.simulator.helpers import TRIAL, acknowledge, advance, create, order, vendor_client

FROZEN = 10_000.0  # real seconds per simulated day: time stands still unless advanced


def wait_for(
    client: httpx.Client, path: str, field: str, value: str, within: float
) -> dict[str, Any]:
    """Poll `path` until its `field` equals `value`."""
    deadline = time.monotonic() + within
    while True:
        body: dict[str, Any] = client.get(path).json()
        if body[field] == value:
            return body
        assert time.monotonic() < deadline, f"{path} still has {field}={body[field]!r}"
        time.sleep(0.02)


def test_accelerated_time_delivers_a_rung_by_itself(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig(seconds_per_day=0.05)))
    acknowledge(client)
    item = create(client, order(), "k").json()
    delivered = wait_for(client, f"/v1/work-items/{item['id']}", "status", "delivered", 2.0)
    assert delivered["delivered_at"] < delivered["due_at"]


def test_a_delivery_brings_files_metrics_hours_and_an_invoice(
    simulator_server: StartSimulator,
) -> None:
    client = vendor_client(simulator_server(SimulatorConfig(seconds_per_day=FROZEN)))
    acknowledge(client)
    item = create(client, order(), "k").json()
    advance(client, 0.5)
    assert client.get(f"/v1/work-items/{item['id']}").json()["status"] == "in_progress"
    assert client.get(f"/v1/work-items/{item['id']}/deliverables").json() == {"items": []}
    advance(client, 4)
    assert client.get(f"/v1/work-items/{item['id']}").json()["status"] == "delivered"

    deliverables = client.get(f"/v1/work-items/{item['id']}/deliverables").json()["items"]
    assert deliverables
    for deliverable in deliverables:
        content = client.get(f"/v1/deliverables/{deliverable['id']}/content")
        assert content.headers["content-type"] == "application/octet-stream"
        assert hashlib.sha256(content.content).hexdigest() == deliverable["sha256"]
        assert len(content.content) == deliverable["size"]

    metrics = client.get(f"/v1/trials/{TRIAL}/metrics").json()["items"]
    assert {m["metric"] for m in metrics} == {"p90_first_response_minutes", "runbook_pages"}
    assert all(m["work_item_id"] == item["id"] for m in metrics)

    lines = client.get(f"/v1/trials/{TRIAL}/timesheets").json()["items"]
    assert {line["role"] for line in lines} == {"engineer", "lead"}
    (invoice,) = client.get(f"/v1/trials/{TRIAL}/invoices").json()["items"]
    assert invoice["timesheet_line_ids"] == [line["id"] for line in lines]
    assert float(invoice["amount"]) == sum(float(line["amount"]) for line in lines)


def test_directives_get_answered_and_exports_get_ready(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig(seconds_per_day=FROZEN)))
    directive = client.post(
        f"/v1/trials/{TRIAL}/directives",
        json={"client_ref": "d-1", "text": "Use our ticket categories", "area": "priorities"},
    )
    assert directive.status_code == 201 and directive.json()["status"] == "open"
    export = client.post(f"/v1/trials/{TRIAL}/exports", json={"client_ref": "exit:data"})
    assert export.status_code == 202 and export.json()["status"] == "pending"
    export_id = export.json()["id"]
    assert client.get(f"/v1/exports/{export_id}/content").status_code == 409

    advance(client, 1)
    answered = client.get(f"/v1/directives/{directive.json()['id']}").json()
    assert answered["status"] == "answered" and answered["answer"]
    ready = client.get(f"/v1/exports/{export_id}").json()
    assert ready["status"] == "ready"
    content = client.get(f"/v1/exports/{export_id}/content").content
    assert (len(content), hashlib.sha256(content).hexdigest()) == (ready["size"], ready["sha256"])


def test_grants_and_documents_are_seeded_deterministically(
    simulator_server: StartSimulator,
) -> None:
    runs = []
    for seed in (7, 7, 8):
        client = vendor_client(simulator_server(SimulatorConfig(seed=seed)))
        grants = client.get(f"/v1/trials/{TRIAL}/access-grants").json()["items"]
        documents = client.get(f"/v1/trials/{TRIAL}/kt-documents").json()["items"]
        assert 2 <= len(grants) <= 3 and all(g["revoked_at"] is None for g in grants)
        for doc in documents:
            content = client.get(f"/v1/kt-documents/{doc['id']}/content").content
            assert hashlib.sha256(content).hexdigest() == doc["sha256"]
        runs.append(([(g["system"], g["scope"]) for g in grants], [d["sha256"] for d in documents]))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_the_clock_can_be_advanced(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig(seconds_per_day=FROZEN)))
    before = datetime.fromisoformat(client.get("/admin/clock").json()["now"])
    after = client.post("/admin/clock/advance", params={"days": 3}).json()
    assert (datetime.fromisoformat(after["now"]) - before).days == 3


def test_the_clock_starts_now_and_holds_still_when_told() -> None:
    clock = SimClock(seconds_per_day=0.01)
    assert abs(clock.start - datetime.now(UTC)) < timedelta(seconds=5)
    clock.hold()
    held = clock.now()
    time.sleep(0.05)  # five simulated days, had it run
    assert clock.now() == held
    clock.release()
    time.sleep(0.02)
    assert clock.now() > held
    clock.hold(at=clock.start - timedelta(days=1))  # never before it was last released
    assert clock.now() == held


def test_without_idle_time_no_time_passes_before_the_vendor_first_acts() -> None:
    """However late the first tick comes (a busy machine), a vendor with nothing in hand
    and nothing done is held at its start."""
    simulator = Simulator(SimulatorConfig(seconds_per_day=0.01, idle_time_passes=False))
    time.sleep(0.05)  # five simulated days before the first tick
    assert simulator.now() == simulator.clock.start
    time.sleep(0.05)
    assert simulator.now() == simulator.clock.start


def test_without_idle_time_a_trial_spans_only_the_vendors_work(
    simulator_server: StartSimulator,
) -> None:
    """The demo's clock: a rung due in 5 days keeps its dates near today however long the
    client takes between rungs, and the delivery still lands when the vendor's pace says."""
    config = SimulatorConfig(seconds_per_day=0.01, idle_time_passes=False)
    client = vendor_client(simulator_server(config))
    acknowledge(client)
    time.sleep(0.5)  # fifty simulated days, were the client's pause counted
    first = create(client, order(), "k1").json()
    first = wait_for(client, f"/v1/work-items/{first['id']}", "status", "delivered", 2.0)
    time.sleep(0.5)
    second = create(client, order("acme-helpdesk:pilot:rung-2"), "k2").json()
    second = wait_for(client, f"/v1/work-items/{second['id']}", "status", "delivered", 2.0)
    today = datetime.now(UTC)
    created, delivered = (datetime.fromisoformat(first["created_at"]), second["delivered_at"])
    assert created - today < timedelta(days=2)
    assert datetime.fromisoformat(delivered) - today < timedelta(days=5 * 2 + 2)
    assert first["delivered_at"] < first["due_at"]
