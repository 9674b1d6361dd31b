"""The `simulator_server` fixture: real simulators over real sockets, stopped after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest

from simulator.app import create_app
from simulator.config import SimulatorConfig
from tests.simulator.server import serve, wait_healthy

StartSimulator = Callable[[SimulatorConfig], str]


@pytest.fixture
def simulator_server() -> Iterator[StartSimulator]:
    """Start a simulator for a config and return its base URL; every one stops after the test."""
    with ExitStack() as running:

        def start(config: SimulatorConfig) -> str:
            base_url = running.enter_context(serve(create_app(config)))
            wait_healthy(base_url)
            return base_url

        yield start
