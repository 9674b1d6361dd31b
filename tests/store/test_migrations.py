"""The Alembic migrations: up, down and up again, and in step with the tables."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

import models.tables  # noqa: F401
from config import Settings
from store import migrate
from store.db import get_engine


def tables(settings: Settings) -> set[str]:
    return set(inspect(get_engine(settings)).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(settings: Settings) -> None:
    assert migrate.current(settings) == migrate.head()
    assert tables(settings) == set(SQLModel.metadata.tables)
    migrate.downgrade("base", settings)
    assert migrate.current(settings) is None
    assert tables(settings) == set()
    migrate.upgrade("head", settings)
    assert migrate.current(settings) == migrate.head()
    assert tables(settings) == set(SQLModel.metadata.tables)


def test_migrations_match_the_models(settings: Settings) -> None:
    with get_engine(settings).connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


def test_ensure_schema_is_a_no_op_at_head(settings: Settings) -> None:
    migrate.ensure_schema(settings)
    assert migrate.current(settings) == migrate.head()


def test_the_newest_migration_goes_down_and_up_with_trials_stored(settings: Settings) -> None:
    from planfile import load_plan, require_valid
    from store.db import read_session, write_session
    from store.trials import create_trial, trial_detail
    from tests.conftest import EXAMPLES

    plan = require_valid(load_plan(EXAMPLES / "helpdesk-takeover.yaml", settings.policy))
    with write_session(settings) as session:
        create_trial(session=session, plan=plan, actor="tester")
    migrate.downgrade("-1", settings)
    migrate.upgrade("head", settings)
    with read_session(settings) as session:
        detail = trial_detail(session=session, slug=plan.trial)
    assert detail.trial.waiting_for is None and len(detail.rungs) == 3
