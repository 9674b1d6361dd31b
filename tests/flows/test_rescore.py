"""`trials rescore` on a trial run end to end: a flip under new weights, and no record changed."""

from __future__ import annotations

import json

from sqlmodel import col, select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.trial import trial
from models.tables import AuditEntry, Decision, Measurement, PilotTask, Trial
from store.db import read_session
from tests.flows.conftest import StoreTrial

runner = CliRunner()


def record(settings: Settings) -> list[object]:
    """Every row a rescore could touch, as stored."""
    with read_session(settings) as session:
        return [
            row.model_dump()
            for table in (Trial, PilotTask, Decision, Measurement, AuditEntry)
            for row in session.exec(select(table).order_by(col(table.id)))  # type: ignore[attr-defined]
        ]


async def test_rescore_shows_a_flip_and_changes_nothing_on_record(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    # The demo's plan and reliable vendor: expanded, engagement 2 climbed, and the run waits
    # at its evaluation. The client's review then finds satisfaction short of 4.3.
    # A trial of its own name: the session's Prefect server holds other tests' paused runs of
    # the example trial, and `trials decide` would resume one of those instead.
    slug = stored_trial(slug="rescored")
    assert await trial(slug, decisions="auto", wait_seconds=30) == "waiting"
    reviewed = runner.invoke(
        app,
        ["review", slug, "all-office-satisfaction", "3.9", "--by", "Dana Reyes",
         "--correct", "the survey came in"],
    )  # fmt: skip
    assert reviewed.exit_code == 0, reviewed.output
    decided = runner.invoke(
        app, ["decide", slug, "extend", "--reason", "One more month", "--by", "Sam Ortiz"]
    )
    assert decided.exit_code == 0, decided.output
    before = record(settings)

    same = runner.invoke(app, ["rescore", slug])
    assert same.exit_code == 0, same.output
    assert "flips to exit at 3.35 or more" in same.output  # 5 / (5 + w) under 0.6, rounded
    assert "the recommendation stays extend" in same.output
    weighted = runner.invoke(
        app, ["rescore", slug, "--weight", "all-office-satisfaction=6", "--expand-at", "85%"]
    )
    assert weighted.exit_code == 0, weighted.output
    assert "the recommendation flips from extend to exit" in weighted.output
    assert "On record, unchanged: extend at evaluation:e2:1, by Sam Ortiz." in weighted.output
    as_json = runner.invoke(
        app, ["rescore", slug, "--weight", "all-office-satisfaction=6", "--json"]
    )
    result = json.loads(as_json.stdout)
    assert (result["old"]["score"], result["old"]["choice"]) == ("0.714", "extend")
    assert (result["new"]["score"], result["new"]["choice"]) == ("0.455", "exit")
    assert result["decided"] == "extend at evaluation:e2:1, by Sam Ortiz"

    for bad, message in [
        (["--weight", "first-response=2"], "no expectation 'first-response' in engagement 2"),
        (["--weight", "l2-resolution=-1"], "is negative"),
        (["--expand-at", "0.5"], "--expand-at 50% is below --exit-below 60%"),
    ]:
        refused = runner.invoke(app, ["rescore", slug, *bad])
        assert refused.exit_code == 1 and message in refused.output, refused.output
    assert record(settings) == before  # decisions, measurements, audit: all as they were
