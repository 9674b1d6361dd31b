"""Measurement provenance (who or what produced a value, and its evidence) and the typed
value a decision sets.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 23:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    on_sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("produced_by", sa.String(length=200), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("evidence_json", sa.Text(), nullable=False, server_default="{}")
        )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("value", sa.String(40) if on_sqlite else sa.Numeric(), nullable=True)
        )
    # Values recorded before came from the vendor's metrics endpoint, whatever the
    # expectation's source said: label them as what they are.
    op.execute("UPDATE measurement SET source = 'vendor_metrics'")


def downgrade() -> None:
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_column("value")
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_column("evidence_json")
        batch_op.drop_column("produced_by")
