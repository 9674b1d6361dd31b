"""Budget alerts, exit rehearsals, a directive's justification and outcome, and when the
engine recorded a rung's delivery.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budget_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("threshold", sa.Numeric(14, 2), nullable=False),
        sa.Column("spent", sa.Numeric(14, 2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("crossed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("emitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["trial_id"], ["trial.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trial_id", "key"),
    )
    with op.batch_alter_table("budget_alert", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_budget_alert_trial_id"), ["trial_id"], unique=False)
    op.create_table(
        "exit_rehearsal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(5, 4), nullable=False),
        sa.Column("checks_json", sa.Text(), nullable=False),
        sa.Column("rehearsed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trial.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("exit_rehearsal", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exit_rehearsal_trial_id"), ["trial_id"], unique=False
        )
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("justification", sa.Text(), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("outcome", sa.String(length=20), nullable=True))
    with op.batch_alter_table("pilot_task", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pilot_task", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.drop_column("outcome")
        batch_op.drop_column("justification")
    with op.batch_alter_table("exit_rehearsal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exit_rehearsal_trial_id"))
    op.drop_table("exit_rehearsal")
    with op.batch_alter_table("budget_alert", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_budget_alert_trial_id"))
    op.drop_table("budget_alert")
