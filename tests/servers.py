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
    with restartable_prefect_server(home, **settings) as server:
        yield server.env


class PrefectServer:
    """`trials server` on a free port and a Prefect home of its own, which a test can kill
    (as when its machine dies) and start again on the same port and database."""

    def __init__(self, home: Path, **settings: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        unset = {"PREFECT_API_URL", "PREFECT_UI_API_URL", "PREFECT_SERVER_UI_API_URL"}
        self.server_env = {
            name: value for name, value in os.environ.items() if name not in unset
        } | {"PREFECT_HOME": str(home / "prefect"), "ACME_API_TOKEN": "sim-token", **settings}
        self.env = self.server_env | {
            "PREFECT_API_URL": f"http://127.0.0.1:{self.port}/api",
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def api_url(self) -> str:
        return self.env["PREFECT_API_URL"]

    def start(self) -> None:
        """Start the server, and return once its API answers (up to 120 s)."""
        trials = str(Path(sys.executable).with_name("trials"))
        self.process = server = subprocess.Popen(
            [trials, "server", "--port", str(self.port)],
            env=self.server_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise AssertionError("the Prefect server never answered")
            time.sleep(0.5)

    def kill(self) -> None:
        """SIGKILL the server, as when its machine dies: it answers nothing from now on."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stop the server as a service manager would: SIGTERM, then SIGKILL after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


@contextmanager
def restartable_prefect_server(home: Path, **settings: str) -> Iterator[PrefectServer]:
    """`trials server` started as `prefect_server` starts it, as a handle a test can kill
    and start again; stopped at the end."""
    server = PrefectServer(home, **settings)
    try:
        server.start()
        yield server
    finally:
        server.stop()
