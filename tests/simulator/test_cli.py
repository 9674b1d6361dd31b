"""`trials simulator` starts a simulator quickly and refuses unknown profiles in one line."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app
from simulator.serve import wait_healthy
from tests.simulator.helpers import vendor_client

pytestmark = pytest.mark.e2e


def free_port() -> int:
    """A local port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_command_serves_the_api_within_seconds() -> None:
    port = free_port()
    started = time.monotonic()
    command = [sys.executable, "-c", "from cli.main import app; app()", "simulator"]
    options = ["--port", str(port), "--profile", "hostile-exit", "--token", "t0k"]
    process = subprocess.Popen(
        [*command, *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_healthy(base_url, timeout=15)
        assert time.monotonic() - started < 10
        assert vendor_client(base_url, token="t0k").get("/v1/whoami").json()["vendor"] == (
            "Lock-In Logic"
        )
        assert httpx.get(f"{base_url}/v1/whoami").status_code == 401
    finally:
        process.terminate()
        out, err = process.communicate(timeout=10)
    assert f"on http://127.0.0.1:{port}/v1" in out, out + err


def test_an_unknown_profile_is_refused_with_the_choices() -> None:
    result = CliRunner().invoke(app, ["simulator", "--profile", "sloppy"])
    assert result.exit_code == 1
    assert "Unknown simulator profile 'sloppy'" in result.output
    assert "hostile-exit" in result.output


def test_a_webhook_url_needs_a_secret() -> None:
    result = CliRunner().invoke(app, ["simulator", "--webhook-url", "http://127.0.0.1:1/hooks"])
    assert result.exit_code == 1
    assert "a webhook URL and a webhook secret go together" in result.output
