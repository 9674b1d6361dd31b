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


def test_exact_decimals_keep_what_was_stored_before_and_read_back_as_written(
    settings: Settings,
) -> None:
    """0007 widens money to four places (text on SQLite): old values survive it, new ones
    come back as written, where SQLite's NUMERIC handed 20.125 back as 20.12."""
    from decimal import Decimal

    from sqlmodel import select

    from models.tables import CostEntry, PilotTask, Trial
    from planfile import load_plan, require_valid
    from store.db import read_session, write_session
    from store.trials import create_trial
    from tests.conftest import EXAMPLES

    def decimals() -> list[tuple[Decimal, ...]]:
        with read_session(settings) as session:
            trial = session.exec(select(Trial)).one()
            rungs = session.exec(select(PilotTask).order_by(PilotTask.position)).all()
            costs = session.exec(select(CostEntry).order_by(CostEntry.id)).all()
        return [
            (trial.budget_estimate, trial.budget_contingency, trial.budget_cap),
            *((r.hours, r.estimate) for r in rungs),
            *((c.hours or Decimal(0), c.rate or Decimal(0), c.amount) for c in costs),
        ]

    plan = require_valid(load_plan(EXAMPLES / "helpdesk-takeover.yaml", settings.policy))
    with write_session(settings) as session:
        trial = create_trial(session=session, plan=plan, actor="tester")
        session.flush()
        for n, (hours, rate, amount) in enumerate(
            [("6.07", "95", "576.65"), ("1.5", "140", "210")]
        ):
            session.add(
                CostEntry(
                    trial_id=trial.id,  # type: ignore[arg-type]
                    kind="timesheet",
                    role="engineer",
                    hours=Decimal(hours),
                    rate=Decimal(rate),
                    amount=Decimal(amount),
                    currency="USD",
                    incurred_on=trial.created_at.date(),
                    idempotency_key=f"migration-test-{n}",
                )
            )
    before = decimals()
    migrate.downgrade("0006", settings)
    migrate.upgrade("head", settings)
    assert decimals() == before
    assert before[0] == (Decimal(13500), Decimal("0.15"), Decimal(15500))

    with write_session(settings) as session:
        entry = session.exec(
            select(CostEntry).where(CostEntry.idempotency_key == "migration-test-1")
        ).one()
        entry.rate, entry.amount, entry.currency = Decimal("20.125"), Decimal("30.1875"), "KWD"
        session.add(entry)
    with read_session(settings) as session:
        entry = session.exec(
            select(CostEntry).where(CostEntry.idempotency_key == "migration-test-1")
        ).one()
    assert entry.rate == Decimal("20.125") and entry.amount == Decimal("30.1875")


def test_decimals_read_back_as_written_and_a_fifth_place_rounds_half_up(
    settings: Settings,
) -> None:
    from decimal import Decimal

    from sqlalchemy import Column, MetaData, Table, insert, select

    from models.tables import ExactDecimal

    table = Table("exact_probe", MetaData(), Column("value", ExactDecimal(4)))
    engine = get_engine(settings)
    table.create(engine)
    written = [
        "12.345",
        "20.125",
        "13500",
        "0.1",
        "30.18755",
        "-2.00005",
        "1E+3",
        "99999999999999.9999",
    ]
    try:
        with engine.begin() as connection:
            for value in written:
                connection.execute(insert(table).values(value=Decimal(value)))
        with engine.connect() as connection:
            values = connection.execute(select(table.c.value)).scalars().all()
    finally:
        table.drop(engine)
    assert [str(v) for v in values] == [
        "12.345",
        "20.125",
        "13500",
        "0.1",
        "30.1876",
        "-2.0001",
        "1000",
        "99999999999999.9999",
    ]
