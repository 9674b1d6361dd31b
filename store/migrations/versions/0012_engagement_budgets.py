"""An engagement's budget as it stood when the next one opened, and the engagement each
directive was given in: a past engagement is re-evaluated with its own cap (a raise
within it included) and only its own directives, not the current engagement's.

Trials expanded before this revision get their first engagement's budget back from the
plan and the raise-cap decisions at that engagement's cap gates; a directive belongs to
engagement 2 when it was issued after the trial's `engagement_opened` audit entry.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:00:00.000000
"""

import json
from collections.abc import Sequence
from decimal import Decimal

import sqlalchemy as sa
from alembic import op


revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    on_sqlite = op.get_bind().dialect.name == "sqlite"
    exact = sa.String(40) if on_sqlite else sa.Numeric()
    op.create_table(
        "engagement_budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("engagement", sa.Integer(), nullable=False),
        sa.Column("estimate", exact, nullable=False),
        sa.Column("contingency", exact, nullable=False),
        sa.Column("cap", exact, nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trial.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trial_id", "engagement"),
    )
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("engagement", sa.Integer(), nullable=False, server_default="1")
        )
    op.execute(
        "UPDATE directive SET engagement = 2 WHERE EXISTS (SELECT 1 FROM audit_log a "
        "WHERE a.trial_id = directive.trial_id AND a.action = 'engagement_opened' "
        "AND a.at <= directive.issued_at)"
    )
    _first_engagements_closed(on_sqlite)


def _first_engagements_closed(on_sqlite: bool) -> None:
    """Engagement 1's budget of each trial expanded already: the plan's, its cap raised by
    the raise-cap decisions at engagement 1's cap gates (the highest, as raise_cap keeps)."""
    bind = op.get_bind()
    trials = bind.execute(
        sa.text(
            "SELECT t.id, t.plan_json, COALESCE((SELECT MIN(a.at) FROM audit_log a "
            "WHERE a.trial_id = t.id AND a.action = 'engagement_opened'), t.updated_at) "
            "FROM trial t WHERE t.engagement > 1"
        )
    ).all()
    for trial_id, plan_json, opened_at in trials:
        budget = json.loads(plan_json)["budget"]
        cap = Decimal(str(budget["cap"]))
        decisions = bind.execute(
            sa.text(
                "SELECT value, evidence_json FROM decision WHERE trial_id = :trial "
                "AND choice = 'raise-cap' AND gate LIKE 'budget-cap:e1:%'"
            ),
            {"trial": trial_id},
        ).all()
        for value, evidence in decisions:
            raised = value if value is not None else json.loads(evidence).get("new_cap")
            if raised is not None:
                cap = max(cap, Decimal(str(raised)))
        amounts = [Decimal(str(budget["estimate"])), Decimal(str(budget["contingency"])), cap]
        estimate, contingency, kept = (str(a) if on_sqlite else a for a in amounts)
        bind.execute(
            sa.text(
                "INSERT INTO engagement_budget "
                "(trial_id, engagement, estimate, contingency, cap, closed_at) "
                "VALUES (:trial, 1, :estimate, :contingency, :cap, :closed_at)"
            ),
            {
                "trial": trial_id,
                "estimate": estimate,
                "contingency": contingency,
                "cap": kept,
                "closed_at": opened_at,
            },
        )


def downgrade() -> None:
    with op.batch_alter_table("directive", schema=None) as batch_op:
        batch_op.drop_column("engagement")
    op.drop_table("engagement_budget")
