"""The initial schema: trials, their rungs, expectations, costs, decisions, exit, audit.

Revision ID: 0001
Revises:
Create Date: 2026-11-27 07:28:27.946946
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The audit log is append-only: the database itself refuses updates and deletes.
SQLITE_GUARDS = [
    f"CREATE TRIGGER audit_log_no_{verb} BEFORE {verb.upper()} ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"
    for verb in ("update", "delete")
]
POSTGRES_GUARDS = [
    "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


def upgrade() -> None:
    op.create_table(
        "vendor",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=False),
        sa.Column("token_ref", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "trial",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=63), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("vendor_id", sa.Integer(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("budget_estimate", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column(
            "budget_contingency", sa.Numeric(precision=5, scale=4), nullable=False
        ),
        sa.Column("budget_cap", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("plan_json", sa.Text(), nullable=False),
        sa.Column("plan_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["vendor_id"],
            ["vendor.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
    )
    with op.batch_alter_table("trial", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trial_phase"), ["phase"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_trial_vendor_id"), ["vendor_id"], unique=False
        )

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("from_phase", sa.String(length=20), nullable=True),
        sa.Column("to_phase", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trial.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_audit_log_trial_id"), ["trial_id"], unique=False
        )

    op.create_table(
        "decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("gate", sa.String(length=40), nullable=False),
        sa.Column("choice", sa.String(length=20), nullable=False),
        sa.Column("recommendation", sa.String(length=20), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=200), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("evidence_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trial.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_decision_trial_id"), ["trial_id"], unique=False
        )

    op.create_table(
        "directive",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("area", sa.String(length=200), nullable=False),
        sa.Column("classification", sa.String(length=20), nullable=False),
        sa.Column("issued_by", sa.String(length=200), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vendor_ref", sa.String(length=200), nullable=True),
        sa.Column("vendor_answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trial.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_directive_trial_id"), ["trial_id"], unique=False
        )

    op.create_table(
        "exit_step",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trial.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("exit_step", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_exit_step_trial_id"), ["trial_id"], unique=False
        )

    op.create_table(
        "expectation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=63), nullable=False),
        sa.Column("metric", sa.String(length=63), nullable=False),
        sa.Column("comparator", sa.String(length=2), nullable=False),
        sa.Column("target", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("unit", sa.String(length=100), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("holds_from", sa.String(length=63), nullable=True),
        sa.Column("holds_by", sa.Date(), nullable=True),
        sa.Column("weight", sa.Numeric(precision=8, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trial.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trial_id", "engagement", "key"),
    )
    with op.batch_alter_table("expectation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_expectation_trial_id"), ["trial_id"], unique=False
        )

    op.create_table(
        "pilot_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("rung_key", sa.String(length=63), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("hours", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("estimate", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("due_in_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("vendor_ref", sa.String(length=200), nullable=True),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trial.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
        sa.UniqueConstraint("trial_id", "engagement", "rung_key"),
    )
    with op.batch_alter_table("pilot_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pilot_task_trial_id"), ["trial_id"], unique=False
        )

    op.create_table(
        "cost_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("pilot_task_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("role", sa.String(length=63), nullable=True),
        sa.Column("hours", sa.Numeric(precision=10, scale=2), nullable=True),
        sa.Column("rate", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("vendor_ref", sa.String(length=200), nullable=True),
        sa.Column("incurred_on", sa.Date(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pilot_task_id"],
            ["pilot_task.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trial.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("cost_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_cost_entry_trial_id"), ["trial_id"], unique=False
        )

    op.create_table(
        "measurement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("expectation_id", sa.Integer(), nullable=False),
        sa.Column("pilot_task_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Numeric(precision=18, scale=4), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["expectation_id"],
            ["expectation.id"],
        ),
        sa.ForeignKeyConstraint(
            ["pilot_task_id"],
            ["pilot_task.id"],
        ),
        sa.ForeignKeyConstraint(
            ["trial_id"],
            ["trial.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_measurement_expectation_id"),
            ["expectation_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_measurement_trial_id"), ["trial_id"], unique=False
        )
    guards = (
        POSTGRES_GUARDS if op.get_bind().dialect.name == "postgresql" else SQLITE_GUARDS
    )
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    with op.batch_alter_table("measurement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measurement_trial_id"))
        batch_op.drop_index(batch_op.f("ix_measurement_expectation_id"))

    op.drop_table("measurement")
    with op.batch_alter_table("cost_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cost_entry_trial_id"))

    op.drop_table("cost_entry")
    with op.batch_alter_table("pilot_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pilot_task_trial_id"))

    op.drop_table("pilot_task")
    with op.batch_alter_table("expectation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_expectation_trial_id"))

    op.drop_table("expectation")
    with op.batch_alter_table("exit_step", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_exit_step_trial_id"))

    op.drop_table("exit_step")
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directive_trial_id"))

    op.drop_table("directive")
    with op.batch_alter_table("decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_trial_id"))

    op.drop_table("decision")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_trial_id"))

    op.drop_table("audit_log")
    with op.batch_alter_table("trial", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trial_vendor_id"))
        batch_op.drop_index(batch_op.f("ix_trial_phase"))

    op.drop_table("trial")
    op.drop_table("vendor")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION audit_log_append_only()")
