"""Exact decimals: money at four places for every ISO 4217 minor unit, and no float on SQLite.

Money columns go from NUMERIC(14, 2) to NUMERIC(18, 4), so a rate of 12.345 KWD is kept
as written. On SQLite every decimal column becomes text: SQLite's NUMERIC handed values
back through a float (20.125 came back as 20.12). Existing values are kept: PostgreSQL
widens the column in place; SQLite copies each value into the text column.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY_BEFORE, MONEY_AFTER = (14, 2), (18, 4)
# table -> (column, (precision, scale) before, after, nullable)
COLUMNS: dict[str, list[tuple[str, tuple[int, int], tuple[int, int], bool]]] = {
    "trial": [
        ("budget_estimate", MONEY_BEFORE, MONEY_AFTER, False),
        ("budget_contingency", (5, 4), (5, 4), False),
        ("budget_cap", MONEY_BEFORE, MONEY_AFTER, False),
    ],
    "pilot_task": [
        ("hours", (10, 2), (10, 2), False),
        ("estimate", MONEY_BEFORE, MONEY_AFTER, False),
    ],
    "expectation": [("target", (18, 4), (18, 4), False), ("weight", (8, 2), (8, 2), False)],
    "measurement": [("value", (18, 4), (18, 4), False)],
    "cost_entry": [
        ("hours", (10, 2), (10, 2), True),
        ("rate", MONEY_BEFORE, MONEY_AFTER, True),
        ("amount", MONEY_BEFORE, MONEY_AFTER, False),
    ],
    "budget_alert": [
        ("threshold", MONEY_BEFORE, MONEY_AFTER, False),
        ("spent", MONEY_BEFORE, MONEY_AFTER, False),
    ],
    "exit_rehearsal": [("score", (5, 4), (5, 4), False)],
}


def _type(size: tuple[int, int], as_text: bool) -> sa.String | sa.Numeric:  # type: ignore[type-arg]
    return sa.String(size[0] + 2) if as_text else sa.Numeric(*size)


def _change(upgrading: bool) -> None:
    on_sqlite = op.get_bind().dialect.name == "sqlite"
    for table, columns in COLUMNS.items():
        changed = [c for c in columns if on_sqlite or c[1] != c[2]]
        if not changed:
            continue
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, before, after, nullable in changed:
                old = _type(before, as_text=False)
                new = _type(after, as_text=on_sqlite)
                batch_op.alter_column(
                    column,
                    existing_type=old if upgrading else new,
                    type_=new if upgrading else old,
                    existing_nullable=nullable,
                )


def upgrade() -> None:
    _change(upgrading=True)


def downgrade() -> None:
    _change(upgrading=False)
