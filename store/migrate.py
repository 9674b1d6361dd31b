"""Create and upgrade the schema with Alembic, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from config import Settings
from models.errors import TrialsError
from store.db import _translated, get_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def upgrade(revision: str = "head", settings: Settings | None = None) -> None:
    """Bring the schema up to `revision` (the newest by default)."""
    _run(command.upgrade, revision, settings)


def downgrade(revision: str, settings: Settings | None = None) -> None:
    """Take the schema down to `revision` ("base" removes every table)."""
    _run(command.downgrade, revision, settings)


def current(settings: Settings | None = None) -> str | None:
    """The revision the store is at, or None when it has no schema."""
    with _translated(settings), get_engine(settings).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head() -> str | None:
    """The newest revision the code knows."""
    return ScriptDirectory.from_config(_config()).get_current_head()


def ensure_schema(settings: Settings | None = None) -> None:
    """Upgrade the store only when it is behind, so writes can call this cheaply."""
    if current(settings) != head():
        upgrade("head", settings)


def _run(action: object, revision: str, settings: Settings | None) -> None:
    config = _config()
    try:
        with _translated(settings), get_engine(settings).begin() as connection:
            config.attributes["connection"] = connection
            action(config, revision)  # type: ignore[operator]
    except CommandError as exc:
        known = ", ".join(s.revision for s in ScriptDirectory.from_config(config).walk_revisions())
        raise TrialsError(
            f"Cannot migrate to '{revision}': {exc}. Use 'head', 'base' or one "
            f"of the revisions {known}."
        ) from None
