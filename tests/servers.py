"""Servers the tests start as an operator would: `trials server` on a free port, and a
PostgreSQL database of its own for a Prefect server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

# Where the tests create PostgreSQL databases for Prefect servers; the same server as the
# store's PostgreSQL pass by default.
POSTGRES = os.environ.get(
    "TRIALS_TEST_PREFECT_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@contextmanager
def prefect_database() -> Iterator[str]:
    """A new PostgreSQL database for a Prefect server, dropped afterwards: its asyncpg URL."""
    name = f"prefect_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    host = POSTGRES.split("://", 1)[1].rsplit("/", 1)[0]
    try:
        yield f"postgresql+asyncpg://{host}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def prefect_server_on_postgres(home: Path, **settings: str) -> Iterator[dict[str, str]]:
    """`trials server` on a new PostgreSQL database, without the UI; the environment to use
    it, as `prefect_server` gives it."""
    with (
        prefect_database() as database,
        prefect_server(
            home,
            PREFECT_API_DATABASE_CONNECTION_URL=database,
            PREFECT_UI_ENABLED="false",
            **settings,
        ) as env,
    ):
        yield env


@contextmanager
def prefect_server(home: Path, **settings: str) -> Iterator[dict[str, str]]:
    """`trials server` on a free port, with its own Prefect home; the environment to use it.

    The server is started as the README tells a person to: `trials server --port N` with
    no Prefect URL in its environment. The environment returned adds the API's URL, as
    the README has the other terminals export it, makes workers poll every second, and
    carries the example plan's vendor token.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unset = {"PREFECT_API_URL", "PREFECT_UI_API_URL", "PREFECT_SERVER_UI_API_URL"}
    server_env = {name: value for name, value in os.environ.items() if name not in unset} | {
        "PREFECT_HOME": str(home / "prefect"),
        "ACME_API_TOKEN": "sim-token",
        **settings,
    }
    env = server_env | {
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
    }
    trials = str(Path(sys.executable).with_name("trials"))
    server = subprocess.Popen(
        [trials, "server", "--port", str(port)],
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError("the Prefect server never answered")
            time.sleep(0.5)
        yield env
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)
