"""The committed OpenAPI document is the simulator's, and the simulator keeps to it.

Schemathesis drives a simulator from the committed document, authenticated, through its
examples, coverage and fuzzing phases, with valid and invalid data, and then through a
stateful run; every built-in check must pass on every answer.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.generation.case import Case

from simulator.app import create_app
from simulator.config import SimulatorConfig
from simulator.errors import IDEMPOTENCY_HEADER
from simulator.openapi import SPEC_PATH, render
from simulator.serve import serve, wait_healthy
from tests.simulator.helpers import TOKEN

SEED = 7
CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "phases": {
            "examples": {"enabled": True},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
        },
        "generation": {"mode": "all", "max-examples": 25},
        "checks": {
            # Schema-valid requests may still break rules no schema states (a rate for every
            # role with hours, a known comparator or export format, an Idempotency-Key used
            # once per request), which the simulator answers with a documented 422.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429"]
            },
        },
        "auth": {"openapi": {"bearer": {"bearer": TOKEN}}},
    }
)
schema = schemathesis.openapi.from_path(SPEC_PATH, config=CONFIG)


def test_committed_document_matches_the_code() -> None:
    assert SPEC_PATH.read_text(encoding="utf-8") == render(), (
        "adapters/openapi.json is stale: run `python -m simulator.openapi` and commit it"
    )


@pytest.fixture(scope="module")
def contract_server() -> Iterator[str]:
    """A reliable simulator, without faults, for the whole module."""
    with serve(create_app(SimulatorConfig(seconds_per_day=0.5))) as base_url:
        wait_healthy(base_url)
        yield base_url


def fresh_key(case: Case[Any]) -> None:
    """Give a valid case a key of its own: generated keys repeat across cases with other
    bodies, which is rightly a 422, and would leave the creations untested."""
    headers = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    valid = headers is None or headers.mode == GenerationMode.POSITIVE
    if valid and case.headers and IDEMPOTENCY_HEADER in case.headers:
        case.headers[IDEMPOTENCY_HEADER] = uuid.uuid4().hex


@schema.parametrize()
def test_simulator_conforms_to_the_document(case: Case[Any], contract_server: str) -> None:
    fresh_key(case)
    response = case.call_and_validate(base_url=contract_server)
    if case.meta is None or case.meta.generation.mode == GenerationMode.POSITIVE:
        assert response.status_code != 401, "the bearer token in CONFIG was not sent"


def test_simulator_conforms_in_sequences_of_calls(contract_server: str) -> None:
    class Sequences(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case[Any]) -> None:
            fresh_key(case)

        def get_call_kwargs(self, case: Case[Any]) -> dict[str, Any]:
            return {"base_url": contract_server}

    Sequences.run(
        settings=hypothesis.settings(
            max_examples=15,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )
