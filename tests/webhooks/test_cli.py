"""`trials webhooks`: refuses to run without a secret; otherwise migrates the store and serves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prefect.settings import PREFECT_API_URL
from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app
from cli.webhooks import SIGTERM_EXIT
from config import Settings
from models.tables import WebhookEvent
from store.db import read_session
from tests.webhooks.conftest import SECRET, VENDOR, event_body, read_back, signed, store_plan

pytestmark = pytest.mark.e2e


def test_without_a_secret_the_command_refuses_to_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TRIALS_WEBHOOK_SECRET", raising=False)
    result = CliRunner().invoke(app, ["webhooks"])
    assert result.exit_code == 1
    assert "Set TRIALS_WEBHOOK_SECRET" in result.output
    assert "Traceback" not in result.output


def test_the_command_migrates_a_new_store_and_records_a_known_vendors_delivery(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"  # no tables yet: the command creates them
    port = free_port()
    env = {
        **os.environ,
        "TRIALS_DATABASE_URL": url,
        "TRIALS_WEBHOOK_SECRET": SECRET,
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),  # the session's test server
    }
    command = [sys.executable, "-c", "from cli.main import app; app()", "webhooks"]
    with subprocess.Popen(
        [*command, "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as server:
        try:
            body = event_body()
            endpoint = f"http://127.0.0.1:{port}/webhooks/{VENDOR}"
            unknown = post_when_up(endpoint, body, server, webhook_id="msg_cli")
            store_plan(Settings(database_url=url), tmp_path)  # the store the command made
            response = httpx.post(
                endpoint, content=body, headers=signed(body, webhook_id="msg_cli")
            )
        finally:
            server.terminate()
        output = server.communicate(timeout=10)[0]

    assert unknown.status_code == 404, output  # no trial of this vendor yet: not recorded
    assert response.status_code == 202, output
    assert server.returncode == SIGTERM_EXIT, output  # a clean exit: Prefect's hooks ran
    assert f"Receiving signed webhooks at http://127.0.0.1:{port}/webhooks/VENDOR, VENDOR" in output
    assert "Warning" not in output
    with read_session(Settings(database_url=url)) as session:
        assert len(session.exec(select(WebhookEvent)).all()) == 1
    assert len(read_back("trials.vendor.deliverable.submitted", "msg_cli")) == 1


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def post_when_up(
    url: str, body: bytes, server: subprocess.Popen[str], webhook_id: str
) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        try:
            return httpx.post(url, content=body, headers=signed(body, webhook_id=webhook_id))
        except httpx.ConnectError:
            assert server.poll() is None, "the command exited"
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.1)
