"""Each profile shows its character: quality, timeliness and cost, and how it behaves at exit."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from simulator.config import ProfileName, SimulatorConfig
from tests.conftest import StartSimulator
from tests.simulator.helpers import (
    EXPECTATIONS,
    TRIAL,
    acknowledge,
    advance,
    create,
    estimate,
    ledger,
    order,
    vendor_client,
)

FROZEN = 10_000.0


def deliver_one(client: httpx.Client) -> dict[str, Any]:
    """Acknowledge the expectations, have one rung delivered, return the delivered item."""
    acknowledge(client)
    item = create(client, order(), "k").json()
    advance(client, 10)
    delivered: dict[str, Any] = client.get(f"/v1/work-items/{item['id']}").json()
    assert delivered["status"] == "delivered"
    return delivered


def met(metric: dict[str, Any]) -> bool:
    """Whether a measurement meets its test expectation."""
    (terms,) = [e for e in EXPECTATIONS if e["metric"] == metric["metric"]]
    value, target = Decimal(metric["value"]), Decimal(terms["target"])
    return value <= target if terms["comparator"] == "<=" else value >= target


def share_of_due_time(item: dict[str, Any]) -> float:
    """When the item was delivered, as a share of the time it was given."""
    created, due, delivered = (
        datetime.fromisoformat(item[k]) for k in ("created_at", "due_at", "delivered_at")
    )
    return (delivered - created) / (due - created)


def billed_share(client: httpx.Client) -> Decimal:
    """The invoiced amount over the estimate of the test order."""
    (invoice,) = client.get(f"/v1/trials/{TRIAL}/invoices").json()["items"]
    return Decimal(invoice["amount"]) / estimate(order())


@pytest.mark.parametrize(
    ("profile", "meets", "timing", "billing"),
    [
        (ProfileName.RELIABLE, True, (0.6, 0.8), (Decimal("0.92"), Decimal("0.98"))),
        (ProfileName.OVERRUNNER, True, (0.7, 0.9), (Decimal("1.36"), Decimal("1.44"))),
        (ProfileName.POOR, False, (1.2, 1.5), (Decimal("1.0"), Decimal("1.1"))),
    ],
)
def test_quality_timeliness_and_cost(
    simulator_server: StartSimulator,
    profile: ProfileName,
    meets: bool,
    timing: tuple[float, float],
    billing: tuple[Decimal, Decimal],
) -> None:
    client = vendor_client(
        simulator_server(SimulatorConfig(profile=profile, seconds_per_day=FROZEN))
    )
    item = deliver_one(client)
    metrics = client.get(f"/v1/trials/{TRIAL}/metrics").json()["items"]
    assert len(metrics) == len(EXPECTATIONS)
    assert all(met(m) == meets for m in metrics), metrics
    assert timing[0] <= share_of_due_time(item) <= timing[1]
    assert billing[0] <= billed_share(client) <= billing[1]


def test_the_same_seed_gives_the_same_numbers(simulator_server: StartSimulator) -> None:
    seen = []
    for seed in (7, 7, 8):
        config = SimulatorConfig(profile=ProfileName.POOR, seed=seed, seconds_per_day=FROZEN)
        client = vendor_client(simulator_server(config))
        item = deliver_one(client)
        metrics = client.get(f"/v1/trials/{TRIAL}/metrics").json()["items"]
        seen.append((share_of_due_time(item), [m["value"] for m in metrics], billed_share(client)))
    assert seen[0] == seen[1]
    assert seen[0] != seen[2]


def test_hostile_exit_is_slow_incomplete_and_misleading(simulator_server: StartSimulator) -> None:
    config = SimulatorConfig(profile=ProfileName.HOSTILE_EXIT, seconds_per_day=FROZEN)
    client = vendor_client(simulator_server(config))
    first = client.get(f"/v1/trials/{TRIAL}/kt-documents").json()["items"]
    full = client.get(f"/v1/trials/{TRIAL}/kt-documents").json()["items"]
    assert 0 < len(first) < len(full)

    export = client.post(f"/v1/trials/{TRIAL}/exports", json={"client_ref": "exit:data"}).json()
    advance(client, 1)  # a cooperative vendor is ready within hours
    assert client.get(f"/v1/exports/{export['id']}").json()["status"] == "pending"
    assert client.get(f"/v1/exports/{export['id']}/content").status_code == 409
    advance(client, 3)
    ready = client.get(f"/v1/exports/{export['id']}").json()
    downloads = [client.get(f"/v1/exports/{export['id']}/content").content for _ in range(2)]
    assert hashlib.sha256(downloads[0]).hexdigest() != ready["sha256"]
    assert len(downloads[0]) < ready["size"]
    assert hashlib.sha256(downloads[1]).hexdigest() == ready["sha256"]


def test_hostile_exit_first_revoke_does_not_stick(simulator_server: StartSimulator) -> None:
    config = SimulatorConfig(profile=ProfileName.HOSTILE_EXIT, seconds_per_day=FROZEN)
    client = vendor_client(simulator_server(config))
    grant = client.get(f"/v1/trials/{TRIAL}/access-grants").json()["items"][0]
    path, key = f"/v1/access-grants/{grant['id']}/revoke", {"Idempotency-Key": "exit:revoke:1"}

    claimed = client.post(path, headers=key)
    assert claimed.status_code == 200 and claimed.json()["revoked_at"] is not None
    assert read_back(client, grant["id"])["revoked_at"] is None
    assert ledger(client)["effects"]["revocations"] == 0

    again = client.post(path, headers=key)
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert read_back(client, grant["id"])["revoked_at"] == again.json()["revoked_at"]
    client.post(path, headers=key)
    book = ledger(client)
    assert book["effects"]["revocations"] == 1
    assert book["keys"]["exit:revoke:1"]["attempts"] == 3


def test_a_cooperative_revoke_sticks_the_first_time(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig(seconds_per_day=FROZEN)))
    grant = client.get(f"/v1/trials/{TRIAL}/access-grants").json()["items"][0]
    revoked = client.post(f"/v1/access-grants/{grant['id']}/revoke").json()
    assert read_back(client, grant["id"])["revoked_at"] == revoked["revoked_at"] is not None
    assert ledger(client)["effects"]["revocations"] == 1


def read_back(client: httpx.Client, grant_id: str) -> dict[str, Any]:
    """The grant as the vendor lists it now."""
    grants = client.get(f"/v1/trials/{TRIAL}/access-grants").json()["items"]
    (grant,) = [g for g in grants if g["id"] == grant_id]
    return grant  # type: ignore[no-any-return]
