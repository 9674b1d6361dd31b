"""Trials in the store: created whole from a plan, listed, shown, and audited."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import delete, text, update
from sqlalchemy.exc import DBAPIError
from sqlmodel import select

from config import Settings
from models.errors import DuplicateError, NotFoundError
from models.phases import Phase
from models.plan import Plan
from models.tables import AuditEntry, CostEntry, PilotTask
from planfile import load_plan, require_valid
from store.db import read_session, write_session
from store.trials import create_trial, trial_detail
from tests.conftest import EXAMPLES


def example(name: str, settings: Settings) -> Plan:
    return require_valid(load_plan(EXAMPLES / name, settings.policy))


def store(plan: Plan, settings: Settings) -> None:
    with write_session(settings) as session:
        create_trial(session=session, plan=plan, actor="tester")


def test_a_plan_becomes_a_draft_with_its_rows(settings: Settings) -> None:
    plan = example("helpdesk-takeover.yaml", settings)
    store(plan, settings)
    with read_session(settings) as session:
        detail = trial_detail(session=session, slug=plan.trial)
    assert detail.trial.phase == Phase.DRAFT and detail.trial.version == 1
    assert detail.vendor.token_ref == "env:ACME_API_TOKEN"
    assert [r.rung_key for r in detail.rungs] == ["rung-1", "rung-2", "rung-3"]
    assert [r.estimate for r in detail.rungs] == [
        Decimal("850.00"),
        Decimal("2460.00"),
        Decimal("8050.00"),
    ]
    assert detail.rungs[1].idempotency_key == "acme-helpdesk-2026q4:e1:rung-2:work-item"
    assert [e.key for e in detail.expectations][:2] == ["first-response", "resolution-time"]
    assert detail.expectations[3].target == Decimal("4.2")
    assert [s.kind for s in detail.exit_steps] == [
        "knowledge_transfer",
        "data_return",
        "access_revocation",
        "final_invoice",
    ]
    assert [(a.action, a.to_phase, a.actor) for a in detail.audit] == [
        ("created", "draft", "tester")
    ]
    assert Plan.model_validate_json(detail.trial.plan_json) == plan


def test_a_duplicate_trial_id_is_refused_and_nothing_is_added(settings: Settings) -> None:
    plan = example("cloud-migration.yaml", settings)
    store(plan, settings)
    with pytest.raises(DuplicateError, match="already stored"):
        store(plan, settings)
    with read_session(settings) as session:
        assert len(session.exec(select(PilotTask)).all()) == 3
        assert len(session.exec(select(AuditEntry)).all()) == 1


def test_money_round_trips_exactly(settings: Settings) -> None:
    store(example("helpdesk-takeover.yaml", settings), settings)
    with write_session(settings) as session:
        session.add(
            CostEntry(
                trial_id=1,
                kind="timesheet",
                role="engineer",
                hours=Decimal("0.10"),
                rate=Decimal("95.00"),
                amount=Decimal("0.10") + Decimal("0.20"),
                currency="USD",
                incurred_on=date(2026, 11, 27),
                idempotency_key="k1",
            )
        )
    with read_session(settings) as session:
        entry = session.exec(select(CostEntry)).one()
    assert entry.amount == Decimal("0.30") and isinstance(entry.amount, Decimal)


def test_an_unknown_trial_says_how_to_find_one(settings: Settings) -> None:
    with read_session(settings) as session, pytest.raises(NotFoundError, match="trials list"):
        trial_detail(session=session, slug="nope")


def test_the_audit_log_is_append_only(settings: Settings) -> None:
    store(example("helpdesk-takeover.yaml", settings), settings)
    for statement in (update(AuditEntry).values(reason="rewritten"), delete(AuditEntry)):
        with pytest.raises(DBAPIError, match="append-only"), write_session(settings) as s:
            s.execute(statement)
    with read_session(settings) as session:
        assert session.exec(select(AuditEntry.reason)).one() == (
            "plan acme-helpdesk-2026q4 stored as a draft"
        )


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'wal.db'}")
    with read_session(settings) as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA busy_timeout")).scalar() == 5000
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_the_default_store_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=None)
    assert settings.store_url == f"sqlite:///{tmp_path / 'trials.db'}"
