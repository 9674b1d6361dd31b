"""Bake-offs: vendors' trials linked to one bake-off, and the vendor selected among them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 03:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bakeoff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("plan_sha256", sa.String(length=64), nullable=False),
        sa.Column("selected", sa.String(length=63), nullable=True),
        sa.Column("selected_by", sa.String(length=200), nullable=True),
        sa.Column("selected_reason", sa.Text(), nullable=True),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    op.create_table(
        "bakeoff_trial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bakeoff_id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("vendor_key", sa.String(length=63), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["bakeoff_id"], ["bakeoff.id"]),
        sa.ForeignKeyConstraint(["trial_id"], ["trial.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("bakeoff_id", "vendor_key"),
        sa.UniqueConstraint("trial_id"),
    )
    with op.batch_alter_table("bakeoff_trial", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bakeoff_trial_bakeoff_id"), ["bakeoff_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bakeoff_trial", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bakeoff_trial_bakeoff_id"))
    op.drop_table("bakeoff_trial")
    op.drop_table("bakeoff")
