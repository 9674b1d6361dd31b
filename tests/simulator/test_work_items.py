"""Work items are created at most once per idempotency key, and found by client reference."""

from __future__ import annotations

from simulator.config import SimulatorConfig
from tests.conftest import StartSimulator
from tests.simulator.helpers import create, ledger, order, vendor_client


def test_same_key_and_body_replays_the_first_item(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig()))
    first = create(client, order(), "acme:pilot:rung-1:create")
    again = create(client, order(), "acme:pilot:rung-1:create")
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    book = ledger(client)
    entry = book["keys"]["acme:pilot:rung-1:create"]
    assert entry["attempts"] == 2
    assert entry["effect_id"] == first.json()["id"]
    assert (entry["method"], entry["path"]) == ("POST", "/v1/work-items")
    assert len(entry["body_sha256"]) == 64
    assert book["client_refs"][order()["client_ref"]] == {
        "kind": "work_items",
        "creations": 1,
        "ids": [first.json()["id"]],
    }
    assert book["effects"]["work_items"] == 1


def test_same_key_with_another_body_is_refused(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig()))
    assert create(client, order(), "k").status_code == 201
    reused = create(client, order(title="Something else"), "k")
    assert reused.status_code == 422
    assert reused.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key 'k'" in reused.json()["detail"]
    assert ledger(client)["effects"]["work_items"] == 1


def test_the_key_is_required(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig()))
    response = client.post("/v1/work-items", json=order())
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert "Idempotency-Key" in response.json()["detail"]
    assert ledger(client)["effects"]["work_items"] == 0


def test_a_new_key_is_a_new_item_and_the_ledger_shows_the_duplicate(
    simulator_server: StartSimulator,
) -> None:
    client = vendor_client(simulator_server(SimulatorConfig()))
    ids = [create(client, order(), key).json()["id"] for key in ("attempt-1", "attempt-2")]
    assert ids[0] != ids[1]
    assert ledger(client)["client_refs"][order()["client_ref"]]["creations"] == 2


def test_find_by_client_ref_and_read_back(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig()))
    one = create(client, order("acme:pilot:rung-1"), "k1").json()
    two = create(client, order("acme:pilot:rung-2"), "k2").json()
    found = client.get("/v1/work-items", params={"client_ref": "acme:pilot:rung-2"}).json()
    assert [item["id"] for item in found["items"]] == [two["id"]]
    assert client.get("/v1/work-items", params={"client_ref": "nope"}).json() == {"items": []}
    assert client.get(f"/v1/work-items/{one['id']}").json() == one
    assert one["status"] == "accepted" and one["delivered_at"] is None
    missing = client.get("/v1/work-items/wi-9999")
    assert missing.status_code == 404 and "wi-9999" in missing.json()["detail"]


def test_hours_without_a_rate_are_refused(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig()))
    response = create(client, order(hours={"architect": 3}), "k")
    assert response.status_code == 422
    assert "architect" in response.json()["detail"]
    assert "k" not in ledger(client)["keys"]
    assert create(client, order(), "k").status_code == 201  # the fixed request may reuse it
