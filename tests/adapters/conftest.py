"""Fixtures for the adapters' tests: a real Redmine for the session, a project per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.redmine import Redmine, build_template, redmine_server


@pytest.fixture(scope="session")
def redmine_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A Redmine database built once per test process (migrated, default data, REST API on)."""
    return build_template(tmp_path_factory.mktemp("redmine-template"))


@pytest.fixture(scope="session")
def redmine(redmine_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Redmine]:
    """Redmine served on a free port for the session, on a copy of the template."""
    with redmine_server(redmine_template, tmp_path_factory.mktemp("redmine")) as server:
        yield server


@pytest.fixture
def redmine_project(redmine: Redmine) -> str:
    """A project of this test's own on the session's Redmine; its identifier."""
    return redmine.new_project()
