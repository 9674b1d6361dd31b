"""The committed OpenAPI document is the simulator's, and the simulator keeps to it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from schemathesis.checks import positive_data_acceptance
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.case import Case

from simulator.app import create_app
from simulator.config import SimulatorConfig
from simulator.errors import IDEMPOTENCY_HEADER
from simulator.openapi import SPEC_PATH, render
from simulator.serve import serve, wait_healthy
from tests.simulator.helpers import TOKEN

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": 7,
        "generation": {"mode": "positive", "max-examples": 8},
        "auth": {"openapi": {"bearer": {"bearer": TOKEN}}},
    }
)
schema = schemathesis.openapi.from_path(SPEC_PATH, config=CONFIG)


def test_committed_document_matches_the_code() -> None:
    assert SPEC_PATH.read_text(encoding="utf-8") == render(), (
        "vendor/openapi.json is stale: run `python -m simulator.openapi` and commit it"
    )


@pytest.fixture(scope="module")
def contract_server() -> Iterator[str]:
    """A reliable simulator, without faults, for the whole module."""
    with serve(create_app(SimulatorConfig(seconds_per_day=0.5))) as base_url:
        wait_healthy(base_url)
        yield base_url


@schema.parametrize()
def test_simulator_conforms_to_the_document(case: Case[Any], contract_server: str) -> None:
    if case.headers and IDEMPOTENCY_HEADER in case.headers:
        # Generated keys repeat across cases with other bodies, which is rightly a 422.
        case.headers[IDEMPOTENCY_HEADER] = uuid.uuid4().hex
    response = case.call_and_validate(
        base_url=contract_server,
        # Schema-valid bodies may still break rules no schema states (a rate for every
        # role with hours, a known comparator), so a 422 for valid data is no failure.
        excluded_checks=[positive_data_acceptance],
    )
    assert response.status_code != 401, "the bearer token in CONFIG was not sent"
