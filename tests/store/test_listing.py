"""The fast trial list, over the bare driver, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from config import Settings
from models.errors import SchemaMissingError, StoreError
from models.phases import Phase
from planfile import load_plan, require_valid
from store.db import write_session
from store.listing import list_trials
from store.phases import change_phase
from store.trials import create_trial
from tests.conftest import EXAMPLES


@pytest.fixture
def two_trials(settings: Settings) -> None:
    for name in ("helpdesk-takeover.yaml", "cloud-migration.yaml"):
        plan = require_valid(load_plan(EXAMPLES / name, settings.policy))
        with write_session(settings) as session:
            create_trial(session=session, plan=plan, actor="tester")
    with write_session(settings) as session:
        change_phase(
            session=session,
            slug="acme-helpdesk-2026q4",
            to=Phase.ONBOARDING,
            actor="tester",
            reason="kick-off",
        )


def test_each_trial_with_its_progress_newest_first(settings: Settings, two_trials: None) -> None:
    page = list_trials(settings.store_url)
    trials = page.trials
    assert page.total == 2
    assert [t.slug for t in trials] == ["acme-helpdesk-2026q4", "nimbus-cloud-migration-2027"]
    helpdesk = trials[0]
    assert (helpdesk.vendor, helpdesk.phase) == ("Acme Managed Services", "onboarding")
    assert (helpdesk.rungs_done, helpdesk.rungs_total) == (0, 3)
    assert (helpdesk.estimate, helpdesk.cap, helpdesk.currency) == (
        Decimal("13500.00"),
        Decimal("15500.00"),
        "USD",
    )
    assert abs(datetime.now(UTC) - helpdesk.updated_at).total_seconds() < 60


def test_filter_by_phase(settings: Settings, two_trials: None) -> None:
    drafts = list_trials(settings.store_url, Phase.DRAFT)
    assert [t.slug for t in drafts.trials] == ["nimbus-cloud-migration-2027"]
    assert drafts.total == 1
    assert list_trials(settings.store_url, Phase.CLOSED).total == 0


def test_a_limit_keeps_the_newest_and_the_total(settings: Settings, two_trials: None) -> None:
    page = list_trials(settings.store_url, limit=1)
    assert [t.slug for t in page.trials] == ["acme-helpdesk-2026q4"] and page.total == 2


def test_a_missing_store_is_reported_as_such(tmp_path: Path) -> None:
    with pytest.raises(SchemaMissingError):
        list_trials(f"sqlite:///{tmp_path / 'absent.db'}")


def test_an_unknown_kind_of_store_is_refused() -> None:
    with pytest.raises(StoreError, match="use sqlite or postgresql"):
        list_trials("mysql://root@127.0.0.1/trials")
