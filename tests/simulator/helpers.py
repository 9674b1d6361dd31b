"""Request bodies and calls shared by the simulator tests."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx

TRIAL = "acme-helpdesk"
EXPECTATIONS: list[dict[str, Any]] = [
    {
        "id": "first-response",
        "metric": "p90_first_response_minutes",
        "comparator": "<=",
        "target": 30,
        "unit": "minutes",
    },
    {
        "id": "runbooks",
        "metric": "runbook_pages",
        "comparator": ">=",
        "target": 10,
        "unit": "pages",
    },
]
RATES = {"engineer": 95, "lead": 140}
TOKEN = "sim-token"
# Calls that must be answered wait this long even in a client built with a short timeout
# for faulted calls: a busy machine can take an unfaulted answer past a fraction of a second.
ANSWER_TIMEOUT = 10.0


def order(client_ref: str = "acme-helpdesk:pilot:rung-1", **changes: Any) -> dict[str, Any]:
    """A work-item body: 16 engineer hours and 4 lead hours, due in 5 days."""
    body: dict[str, Any] = {
        "client_ref": client_ref,
        "trial": TRIAL,
        "title": "Reset passwords for the finance team",
        "hours": {"engineer": 16, "lead": 4},
        "rates": RATES,
        "currency": "USD",
        "due_in_days": 5,
    }
    return body | changes


def estimate(body: dict[str, Any]) -> Decimal:
    """What a work item should cost at the agreed hours and rates."""
    return sum(
        (Decimal(str(h)) * Decimal(str(body["rates"][r])) for r, h in body["hours"].items()),
        Decimal(0),
    )


def create(client: httpx.Client, body: dict[str, Any], key: str) -> httpx.Response:
    """POST a work item with an idempotency key."""
    return client.post("/v1/work-items", json=body, headers={"Idempotency-Key": key})


def acknowledge(client: httpx.Client, trial: str = TRIAL) -> None:
    """Have the vendor acknowledge the two test expectations."""
    response = client.post(
        f"/v1/trials/{trial}/expectations/ack", json={"expectations": EXPECTATIONS}
    )
    assert response.status_code == 200, response.text


def advance(client: httpx.Client, days: float) -> None:
    """Move simulated time forward."""
    assert client.post("/admin/clock/advance", params={"days": days}).status_code == 200


def ledger(client: httpx.Client) -> dict[str, Any]:
    """The simulator's side-effect ledger."""
    data: dict[str, Any] = client.get("/admin/ledger", timeout=ANSWER_TIMEOUT).json()
    return data


def vendor_client(base_url: str, token: str = TOKEN, timeout: float = 5.0) -> httpx.Client:
    """An httpx client for the simulator's API, authenticated with `token`."""
    return httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=timeout
    )
