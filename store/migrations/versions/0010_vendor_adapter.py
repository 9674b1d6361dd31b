"""The adapter a vendor is reached through: the monitor polls the vendors that send no
webhooks (a Redmine) without reading every trial's plan.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 01:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("vendor", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("adapter", sa.String(length=100), nullable=False, server_default="work-api")
        )


def downgrade() -> None:
    with op.batch_alter_table("vendor", schema=None) as batch_op:
        batch_op.drop_column("adapter")
