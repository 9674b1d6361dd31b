"""Every API call but health needs the bearer token; refusals are problem+json."""

from __future__ import annotations

import httpx
import pytest

from simulator.config import SimulatorConfig
from tests.conftest import StartSimulator
from tests.simulator.helpers import vendor_client


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic c2ltLXRva2Vu"}]
)
def test_missing_or_wrong_token_is_a_401_problem(
    simulator_server: StartSimulator, headers: dict[str, str]
) -> None:
    base_url = simulator_server(SimulatorConfig())
    response = httpx.get(f"{base_url}/v1/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    problem = response.json()
    assert problem["status"] == 401 and problem["title"] == "Unauthorized"
    assert problem["instance"] == "/v1/whoami"


def test_a_configured_token_replaces_the_default(simulator_server: StartSimulator) -> None:
    base_url = simulator_server(SimulatorConfig(token="other", vendor_name="Acme Managed"))
    assert vendor_client(base_url).get("/v1/whoami").status_code == 401
    whoami = vendor_client(base_url, token="other").get("/v1/whoami").json()
    assert whoami["vendor"] == "Acme Managed"
    assert whoami["client"] == "vendor-trials"
    assert "work-items:write" in whoami["scopes"]


def test_health_needs_no_token(simulator_server: StartSimulator) -> None:
    base_url = simulator_server(SimulatorConfig())
    health = httpx.get(f"{base_url}/v1/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"


def test_unknown_routes_and_bad_bodies_are_problems(simulator_server: StartSimulator) -> None:
    client = vendor_client(simulator_server(SimulatorConfig()))
    missing = client.get("/v1/no-such-thing")
    assert (missing.status_code, missing.headers["content-type"]) == (
        404,
        "application/problem+json",
    )
    invalid = client.post(
        "/v1/work-items", json={"client_ref": "x"}, headers={"Idempotency-Key": "k"}
    )
    assert invalid.status_code == 422
    assert invalid.headers["content-type"] == "application/problem+json"
    assert "body.trial: Field required" in invalid.json()["detail"]
