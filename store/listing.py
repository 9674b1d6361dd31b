"""The trial list, read over the bare database driver so that `trials list` answers fast.

Importing SQLAlchemy costs about 0.2 s on a small machine, most of the time budget
of a read command; one portable SELECT over sqlite3 or psycopg does not need it.
Everything that writes goes through SQLAlchemy (store.db).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from models.errors import StoreError
from store.errors import no_schema, unreachable

LIST_SQL = """
SELECT t.slug, t.title, v.name, t.phase,
       COUNT(CASE WHEN p.status = 'accepted' THEN 1 END),
       COUNT(p.id), t.budget_estimate, t.budget_cap, t.currency, t.updated_at
FROM trial t
JOIN vendor v ON v.id = t.vendor_id
LEFT JOIN pilot_task p ON p.trial_id = t.id AND p.engagement = t.engagement
WHERE ({phase} IS NULL OR t.phase = {phase})
GROUP BY t.id, t.slug, t.title, v.name, t.phase, t.budget_estimate, t.budget_cap,
         t.currency, t.updated_at
ORDER BY t.updated_at DESC, t.slug
"""


class TrialSummary(BaseModel):
    """One line of `trials list`."""

    slug: str
    title: str
    vendor: str
    phase: str
    rungs_done: int
    rungs_total: int
    estimate: Decimal
    cap: Decimal
    currency: str
    updated_at: datetime


def list_trials(url: str, phase: str | None = None) -> list[TrialSummary]:
    """Every trial in the store at `url`, most recently changed first."""
    if url.startswith("sqlite"):
        rows = _sqlite_rows(url, phase)
    elif url.startswith("postgresql"):
        rows = _postgres_rows(url, phase)
    else:
        raise StoreError(f"Unsupported store URL {url.split(':')[0]}: use sqlite or postgresql.")
    fields = list(TrialSummary.model_fields)
    return [TrialSummary(**dict(zip(fields, _plain(row), strict=True))) for row in rows]


def _sqlite_rows(url: str, phase: str | None) -> list[tuple[Any, ...]]:
    import sqlite3

    path = url.split(":///", 1)[-1]
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        raise no_schema(url) from None  # no file yet: nothing was ever stored
    try:
        return connection.execute(LIST_SQL.format(phase=":phase"), {"phase": phase}).fetchall()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise no_schema(url) from None
        raise unreachable(url, exc) from None
    finally:
        connection.close()


def _postgres_rows(url: str, phase: str | None) -> list[tuple[Any, ...]]:
    import psycopg

    conninfo = "postgresql://" + url.split("://", 1)[1]
    try:
        with psycopg.connect(conninfo, connect_timeout=5) as connection:
            return connection.execute(
                LIST_SQL.format(phase="%(phase)s::text"), {"phase": phase}
            ).fetchall()
    except psycopg.errors.UndefinedTable:
        raise no_schema(url) from None
    except psycopg.OperationalError as exc:
        raise unreachable(url, exc) from None


def _plain(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """SQLite keeps Numeric as REAL and timestamps as text; bring them back exactly."""
    values = list(row)
    for money in (6, 7):
        if isinstance(values[money], float | int):
            values[money] = Decimal(f"{values[money]:.2f}")
    if isinstance(values[9], str):
        values[9] = datetime.fromisoformat(values[9]).replace(tzinfo=UTC)
    return tuple(values)
