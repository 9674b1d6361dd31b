"""Exact decimals, read back as written: money at any ISO 4217 minor unit, no float on SQLite.

The decimal columns were NUMERIC(p, s): PostgreSQL padded or rounded every value to s
places (a rate of 12.345 KWD became 12.35 in NUMERIC(14, 2)), and SQLite handed values
back through a float (20.125 came back as 20.12). They become NUMERIC without a fixed
scale on PostgreSQL and text on SQLite; the code rounds a value finer than the field's
places before writing it. Existing values are kept: PostgreSQL converts in place, SQLite
copies each value into the text column.

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

# table -> (column, (precision, scale) before, nullable)
COLUMNS: dict[str, list[tuple[str, tuple[int, int], bool]]] = {
    "trial": [
        ("budget_estimate", (14, 2), False),
        ("budget_contingency", (5, 4), False),
        ("budget_cap", (14, 2), False),
    ],
    "pilot_task": [("hours", (10, 2), False), ("estimate", (14, 2), False)],
    "expectation": [("target", (18, 4), False), ("weight", (8, 2), False)],
    "measurement": [("value", (18, 4), False)],
    "cost_entry": [
        ("hours", (10, 2), True),
        ("rate", (14, 2), True),
        ("amount", (14, 2), False),
    ],
    "budget_alert": [("threshold", (14, 2), False), ("spent", (14, 2), False)],
    "exit_rehearsal": [("score", (5, 4), False)],
}


def _change(upgrading: bool) -> None:
    on_sqlite = op.get_bind().dialect.name == "sqlite"
    exact = sa.String(40) if on_sqlite else sa.Numeric()
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, (precision, scale), nullable in columns:
                fixed = sa.Numeric(precision, scale)
                batch_op.alter_column(
                    column,
                    existing_type=fixed if upgrading else exact,
                    type_=exact if upgrading else fixed,
                    existing_nullable=nullable,
                )


def upgrade() -> None:
    _change(upgrading=True)


def downgrade() -> None:
    _change(upgrading=False)
