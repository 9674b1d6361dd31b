"""The trial list, read over the bare database driver so that `trials list` answers fast.

Importing SQLAlchemy costs about 0.2 s on a small machine, most of the time budget
of a read command; one portable SELECT over sqlite3 or psycopg does not need it.
Everything that writes goes through SQLAlchemy (store.db).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
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
LIMIT {limit}
"""
COUNT_SQL = "SELECT COUNT(*) FROM trial t WHERE ({phase} IS NULL OR t.phase = {phase})"


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


class TrialPage(BaseModel):
    """Some of the trials, and how many there are in all."""

    trials: list[TrialSummary]
    total: int


def list_trials(url: str, phase: str | None = None, limit: int | None = None) -> TrialPage:
    """The `limit` most recently changed trials in the store at `url` (all when None)."""
    params = {"phase": phase, "limit": limit}
    if url.startswith("sqlite"):
        rows, total = _sqlite(url, params | {"limit": -1 if limit is None else limit})
    elif url.startswith("postgresql"):
        rows, total = _postgres(url, params)
    else:
        raise StoreError(f"Unsupported store URL {url.split(':')[0]}: use sqlite or postgresql.")
    fields = list(TrialSummary.model_fields)
    trials = [TrialSummary(**dict(zip(fields, _plain(row), strict=True))) for row in rows]
    return TrialPage(trials=trials, total=total)


Rows = tuple[list[tuple[Any, ...]], int]


def _sqlite(url: str, params: dict[str, Any]) -> Rows:
    import sqlite3

    path = url.split(":///", 1)[-1]
    if not Path(path).exists():
        raise no_schema(url)  # nothing was ever stored here
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError as exc:
        raise unreachable(url, exc) from None
    marks = {"phase": ":phase", "limit": ":limit"}
    try:
        rows = connection.execute(LIST_SQL.format(**marks), params).fetchall()
        (total,) = connection.execute(COUNT_SQL.format(**marks), params).fetchone()
        return rows, total
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            raise no_schema(url) from None
        raise unreachable(url, exc) from None
    finally:
        connection.close()


def _postgres(url: str, params: dict[str, Any]) -> Rows:
    import psycopg

    conninfo = "postgresql://" + url.split("://", 1)[1]
    marks = {"phase": "%(phase)s::text", "limit": "%(limit)s"}
    try:
        with psycopg.connect(conninfo, connect_timeout=5) as connection:
            rows = connection.execute(LIST_SQL.format(**marks), params).fetchall()
            row = connection.execute(COUNT_SQL.format(**marks), params).fetchone()
            return rows, row[0] if row else 0
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
