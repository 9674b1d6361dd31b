"""When a recorded webhook's Prefect event was emitted.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27 12:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("emitted_at", sa.DateTime(timezone=True), nullable=True))
    # Deliveries recorded before this revision were emitted as they were recorded.
    op.execute("UPDATE webhook_event SET emitted_at = received_at")


def downgrade() -> None:
    op.drop_column("webhook_event", "emitted_at")
