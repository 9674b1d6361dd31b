"""The flaky vendor fails some requests, half of POST faults after the work is done; a ghost
vanishes. Every fault is fixed by the seed and the request's number."""

from __future__ import annotations

from typing import Any

import httpx

from simulator.config import ProfileName, SimulatorConfig
from tests.conftest import StartSimulator
from tests.simulator.helpers import ANSWER_TIMEOUT, create, ledger, order, vendor_client

# Long enough for an unfaulted or slow answer on a busy machine, short of an injected timeout.
CLIENT_TIMEOUT = 1.0


def flaky(seed: int = 7) -> SimulatorConfig:
    """A flaky vendor that fails half the requests, with delays short enough for tests."""
    return SimulatorConfig(
        profile=ProfileName.FLAKY,
        seed=seed,
        fault_rate=0.5,
        slow_seconds=(0.05, 0.1),
        timeout_seconds=3.0,
    )


def naive_calls(client: httpx.Client, count: int) -> list[int | None]:
    """Create `count` work items once each, as a client that would retry with a new key."""
    outcomes: list[int | None] = []
    for n in range(count):
        try:
            outcomes.append(create(client, order(f"rung-{n}"), f"key-{n}").status_code)
        except httpx.TimeoutException:
            outcomes.append(None)
    return outcomes


def faults(client: httpx.Client) -> dict[str, Any]:
    """What the simulator says it injected (the admin route is never faulted)."""
    data: dict[str, Any] = client.get("/admin/faults", timeout=ANSWER_TIMEOUT).json()
    return data


def test_faults_after_the_effect_leave_work_done_behind_a_failure(
    simulator_server: StartSimulator,
) -> None:
    client = vendor_client(simulator_server(flaky()), timeout=CLIENT_TIMEOUT)
    outcomes = naive_calls(client, 24)
    injected = faults(client)["faults"]
    refs = ledger(client)["client_refs"]
    after = [f for f in injected if f["after"]]
    before = [f for f in injected if not f["after"]]
    assert after and before
    assert {f["kind"] for f in after} == {"unavailable", "timeout"}
    for fault in after:
        n = fault["number"] - 1
        assert outcomes[n] == (503 if fault["kind"] == "unavailable" else None)
        assert refs[f"rung-{n}"]["creations"] == 1, "the work was done though the client failed"
    expected = {"unavailable": 503, "throttled": 429, "slow": 201, "timeout": None}
    for fault in before:
        n = fault["number"] - 1
        assert outcomes[n] == expected[fault["kind"]]
        # Only a slow answer does the work; a timed-out request is dropped unhandled.
        assert (f"rung-{n}" in refs) == (fault["kind"] == "slow")
    faulted = {f["number"] - 1 for f in injected}
    assert all(outcomes[n] == 201 for n in range(len(outcomes)) if n not in faulted)


def test_retrying_with_the_same_key_creates_each_item_once(
    simulator_server: StartSimulator,
) -> None:
    client = vendor_client(simulator_server(flaky()), timeout=CLIENT_TIMEOUT)
    for n in range(10):
        for _attempt in range(20):
            try:
                response = create(client, order(f"rung-{n}"), f"trial:pilot:rung-{n}")
            except httpx.TimeoutException:
                continue
            if response.status_code in (200, 201):
                break
            assert response.status_code in (429, 503), response.text
            if response.status_code == 429:
                assert response.headers["retry-after"] in ("0", "1")
        else:
            raise AssertionError(f"rung-{n} never succeeded")
    book = ledger(client)
    assert book["effects"]["work_items"] == 10
    assert all(entry["creations"] == 1 for entry in book["client_refs"].values())
    assert any(entry["attempts"] > 1 for entry in book["keys"].values())


def test_faults_are_fixed_by_the_seed(simulator_server: StartSimulator) -> None:
    logs = []
    for seed in (7, 7, 11):
        client = vendor_client(simulator_server(flaky(seed)), timeout=CLIENT_TIMEOUT)
        for n in range(12):
            try:
                client.get(f"/v1/work-items/wi-{n}")
            except httpx.TimeoutException:
                pass
        logs.append(faults(client)["faults"])
    assert logs[0] == logs[1]
    assert logs[0] != logs[2]
    assert all(f["after"] is False for f in logs[0]), "only POSTs fault after the work"


def test_health_and_admin_are_never_faulted(simulator_server: StartSimulator) -> None:
    base_url = simulator_server(flaky().model_copy(update={"fault_rate": 1.0}))
    client = vendor_client(base_url, timeout=CLIENT_TIMEOUT)
    assert all(httpx.get(f"{base_url}/v1/health").status_code == 200 for _ in range(5))
    ledger_calls = [client.get("/admin/ledger", timeout=ANSWER_TIMEOUT) for _ in range(5)]
    assert all(response.status_code == 200 for response in ledger_calls)
    assert faults(client)["requests"] == 0


def test_a_ghost_stops_answering_after_some_requests(simulator_server: StartSimulator) -> None:
    config = SimulatorConfig(profile=ProfileName.GHOST, ghost_after_requests=3)
    base_url = simulator_server(config)
    client = vendor_client(base_url, timeout=CLIENT_TIMEOUT)
    answers = [client.get("/v1/whoami", timeout=ANSWER_TIMEOUT) for _ in range(3)]
    assert all(response.status_code == 200 for response in answers)
    for path in ("/v1/whoami", "/v1/health"):
        try:
            client.get(path)
        except httpx.ReadTimeout:
            continue
        raise AssertionError(f"the ghost answered {path}")
    assert faults(client)["gone"] is True


def test_a_ghost_can_vanish_after_some_days(simulator_server: StartSimulator) -> None:
    config = SimulatorConfig(
        profile=ProfileName.GHOST, ghost_after_requests=None, ghost_after_days=2
    )
    client = vendor_client(simulator_server(config), timeout=CLIENT_TIMEOUT)
    assert client.get("/v1/whoami", timeout=ANSWER_TIMEOUT).status_code == 200
    client.post("/admin/clock/advance", params={"days": 2}, timeout=ANSWER_TIMEOUT)
    try:
        client.get("/v1/health")
    except httpx.ReadTimeout:
        return
    raise AssertionError("the ghost still answers")
