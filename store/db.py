"""The engine (one per URL and process) and sessions: SQLite in WAL mode, or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlmodel import Session

from config import Settings, get_settings
from models.errors import StoreError
from store.errors import no_schema, unreachable


def get_engine(settings: Settings | None = None) -> Engine:
    """The engine for the configured store, created once per URL."""
    settings = settings or get_settings()
    return _engine(settings.store_url, settings.sqlite_busy_timeout_ms)


@cache
def _engine(url: str, busy_timeout_ms: int) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"Cannot create the data directory {folder}: {exc.strerror}. Set "
                "TRIALS_DATA_DIR to a writable directory."
            ) from None
    engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})
    _tune_sqlite(engine, busy_timeout_ms)
    return engine


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    """WAL, a busy timeout, foreign keys, and BEGIN IMMEDIATE for write sessions.

    pysqlite's own BEGIN is turned off so that a write transaction takes the write
    lock up front; a read-then-write transaction would otherwise fail with "database
    is locked" when another writer commits in between.
    """

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@contextmanager
def read_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session for reading; store failures become a StoreError."""
    with _translated(settings), Session(get_engine(settings)) as session:
        yield session


@contextmanager
def write_session(settings: Settings | None = None) -> Iterator[Session]:
    """A session whose transaction holds the write lock from its start, committed on exit."""
    engine = get_engine(settings).execution_options(sqlite_begin="IMMEDIATE")
    with _translated(settings), Session(engine) as session, session.begin():
        yield session


@contextmanager
def _translated(settings: Settings | None) -> Iterator[None]:
    url = (settings or get_settings()).store_url
    try:
        yield
    except OperationalError as exc:
        if "no such table" in str(exc):
            raise no_schema(url) from None
        raise unreachable(url, exc.orig) from None
    except ProgrammingError as exc:
        if "does not exist" in str(exc.orig) and "relation" in str(exc.orig):
            raise no_schema(url) from None
        raise
