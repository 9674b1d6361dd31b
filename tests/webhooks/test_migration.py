"""Migration 0002: down to 0001 drops the webhook table; up brings it back with its index."""

from __future__ import annotations

from sqlalchemy import inspect

from config import Settings
from store import migrate
from store.db import get_engine


def table_names(settings: Settings) -> set[str]:
    return set(inspect(get_engine(settings)).get_table_names())


def test_downgrade_to_0001_drops_the_table_and_upgrade_restores_it(settings: Settings) -> None:
    before = table_names(settings)
    assert "webhook_event" in before
    try:
        migrate.downgrade("0001", settings)
        assert migrate.current(settings) == "0001"
        assert "webhook_event" not in table_names(settings)
        assert {"trial", "audit_log", "vendor"} <= table_names(settings)
    finally:
        migrate.upgrade("head", settings)
    assert migrate.current(settings) == migrate.head()
    assert table_names(settings) == before
    indexes = inspect(get_engine(settings)).get_indexes("webhook_event")
    assert ("ix_webhook_event_trial", ["trial"]) in [
        (i["name"], i["column_names"]) for i in indexes
    ]
