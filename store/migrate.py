"""Create and upgrade the schema with Alembic, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import Connection

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


@contextmanager
def _foreign_keys_deferred(connection: Connection) -> Iterator[None]:
    """One transaction for the migration; on SQLite, foreign keys checked once at its end.

    SQLite alters a table by copying it and dropping the original, which its foreign-key
    enforcement refuses for a table others refer to (trial). SQLite's documented procedure
    (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema
    Changes"): turn enforcement off outside the transaction, migrate, run
    `PRAGMA foreign_key_check`, commit only if it finds nothing, and turn it on again.
    """
    sqlite = connection.dialect.name == "sqlite"
    raw = connection.connection.driver_connection if sqlite else None
    if raw is not None:
        raw.execute("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction: before BEGIN
    try:
        with connection.begin():
            yield
            if raw is not None:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise TrialsError(
                        f"The migration would leave {len(broken)} rows pointing at rows that "
                        f"do not exist (first: table {broken[0][0]}, row {broken[0][1]}); "
                        "nothing was changed. Report this with the store's file."
                    )
    finally:
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=ON")


def _run(action: object, revision: str, settings: Settings | None) -> None:
    config = _config()
    try:
        with _translated(settings), get_engine(settings).connect() as connection:
            with _foreign_keys_deferred(connection):
                config.attributes["connection"] = connection
                action(config, revision)  # type: ignore[operator]
    except CommandError as exc:
        known = ", ".join(s.revision for s in ScriptDirectory.from_config(config).walk_revisions())
        raise TrialsError(
            f"Cannot migrate to '{revision}': {exc}. Use 'head', 'base' or one "
            f"of the revisions {known}."
        ) from None
