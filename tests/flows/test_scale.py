"""The scale path: the same deployments on a Prefect server backed by PostgreSQL, two workers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import select

from config import Settings
from models.tables import Trial
from simulator.config import ProfileName
from store.db import read_session
from tests.flows.conftest import StoreTrial, prefect_server

BIN = Path(sys.executable).parent
PROJECT = Path(__file__).resolve().parents[2]
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def prefect_on_postgres(tmp_path: Path) -> Iterator[dict[str, str]]:
    """`trials server` on a new PostgreSQL database; the environment to reach it."""
    name = f"prefect_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    database = f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    try:
        with prefect_server(
            tmp_path, PREFECT_API_DATABASE_CONNECTION_URL=database, PREFECT_UI_ENABLED="false"
        ) as env:
            yield env
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def trials(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "trials"), *argv], env=env, capture_output=True, text=True, timeout=180
    )


def test_two_workers_carry_trials_through_a_prefect_server_on_postgresql(
    settings: Settings, stored_trial: StoreTrial, prefect_on_postgres: dict[str, str]
) -> None:
    env = prefect_on_postgres | {
        name: value for name, value in os.environ.items() if name.startswith("TRIALS_")
    }
    deployed = trials(env, "deploy")
    assert deployed.returncode == 0, deployed.stderr + deployed.stdout
    workers = [
        subprocess.Popen(
            [str(BIN / "trials"), "worker"],
            env=env,
            cwd=PROJECT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    try:
        slugs = [
            stored_trial(ProfileName.RELIABLE, slug="scale-reliable"),
            stored_trial(ProfileName.POOR, slug="scale-poor"),
        ]
        for slug in slugs:
            started = trials(env, "start", slug, "--auto")
            assert started.returncode == 0, started.stderr
            assert f"trial-{slug} is scheduled" in started.stdout

        phases: dict[str, str] = {}
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with read_session(settings) as session:
                phases = {
                    t.slug: t.phase
                    for t in session.exec(select(Trial).where(Trial.slug.in_(slugs)))  # type: ignore[attr-defined]
                }
            if phases == {"scale-reliable": "piloting", "scale-poor": "closed"} and _expanded(
                settings
            ):
                break
            time.sleep(1)
        assert phases == {"scale-reliable": "piloting", "scale-poor": "closed"}
        assert _expanded(settings)
        status = trials(env, "status", "--json")
        assert status.returncode == 0, status.stderr
        rows = {row["slug"]: row for row in json.loads(status.stdout)}
        assert rows["scale-reliable"]["latest_run"].startswith(env["PREFECT_API_URL"][:-4])
        assert rows["scale-poor"]["phase"] == "closed"
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)


def _expanded(settings: Settings) -> bool:
    """The reliable vendor's trial opened its second engagement."""
    with read_session(settings) as session:
        return (
            session.exec(select(Trial.engagement).where(Trial.slug == "scale-reliable")).one() == 2
        )
