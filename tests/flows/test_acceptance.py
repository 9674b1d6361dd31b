"""The acceptance gate: a delivered rung whose due expectations include a client review is
accepted once a person records each value; the vendor's own figure does not stand in."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from sqlmodel import col, select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.ladder import ladder
from flows.onboarding import onboarding
from models.acceptance import WAITING_FOR_REVIEW
from models.evaluation import evaluate
from models.tables import AuditEntry, Decision, PilotTask, Trial, utcnow
from simulator.config import ProfileName
from store.db import read_session
from store.evaluation import evaluation_facts
from tests.flows.conftest import StoreTrial

runner = CliRunner()


def review(*argv: str) -> tuple[int, str]:
    result = runner.invoke(app, ["review", *argv])
    return result.exit_code, result.output


async def test_a_rung_waits_for_the_clients_review_and_is_scored_on_it(
    settings: Settings, stored_trial: StoreTrial, tmp_path: Path
) -> None:
    slug = stored_trial(ProfileName.RELIABLE)
    await onboarding(slug, decisions="auto")
    assert await ladder(slug, wait_seconds=30, decisions="defer") == "waiting"
    with read_session(settings) as session:
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
        statuses = session.exec(select(PilotTask.status).order_by(col(PilotTask.position))).all()
    assert trial.waiting_for == WAITING_FOR_REVIEW
    assert statuses == ["accepted", "accepted", "delivered"]  # rung-3 holds the review

    decided = runner.invoke(app, ["decide", slug, "accept", "--reason", "looks fine"])
    assert decided.exit_code == 1
    assert f"`trials review {slug} satisfaction VALUE --by NAME --rung rung-3`" in decided.output

    for argv, said in [
        (("no-such-trial", "satisfaction", "3.1"), "no-such-trial"),
        ((slug, "first-response", "12"), "measured from vendor_metrics, not by client review"),
        ((slug, "satisfaction", "7"), "outside the scale of points of 5 (0 to 5)"),
        ((slug, "satisfaction", "3 minutes"), "is in 'minutes', but the expectation is measured"),
        ((slug, "satisfaction", "lots"), "is not a number"),
        ((slug, "satisfaction", "3.1", "--rung", "rung-9"), "has no rung 'rung-9'"),
    ]:
        code, output = review(*argv, "--by", "Dana Reyes")
        assert code == 1, output
        assert said in output and "Traceback" not in output

    code, output = review(slug, "satisfaction", "3.1", "--by", "Dana Reyes", "--note", "5 calls")
    assert code == 0, output
    assert "recorded 3.1 for 'satisfaction' by Dana Reyes" in output
    assert "acceptance:e1:rung-3: every review due is in" in output
    code, output = review(slug, "satisfaction", "3.4", "--by", "Dana Reyes")
    assert code == 1 and "reviewed at rung-3 already (3.1 points of 5)" in output

    # The next run accepts nothing on the vendor's word: 3.1 misses the 4.2 target.
    assert await ladder(slug, wait_seconds=30, decisions="defer") == "evaluating"
    with read_session(settings) as session:
        statuses = session.exec(select(PilotTask.status).order_by(col(PilotTask.position))).all()
        gate = session.exec(select(Decision).where(Decision.gate == "acceptance:e1:rung-3")).one()
        evaluation = evaluate(evaluation_facts(session=session, slug=slug), utcnow().date())
    assert statuses == ["accepted", "accepted", "stopped"]
    assert (gate.choice, gate.decided_by) == ("accept", "Dana Reyes")
    [line] = [line for line in evaluation.scorecard if line.id == "satisfaction"]
    assert (line.measured, line.met, line.provenance) == (
        Decimal("3.1"),
        False,
        "client review by Dana Reyes",
    )
    assert line.vendor_reported is not None and line.vendor_reported >= Decimal("4.2")
    assert line.disagrees  # the vendor's own figure is off the client's by over 10%
    shown = runner.invoke(app, ["show", slug], env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    assert "client review by Dana" in shown.output and "vendor-reported" in shown.output
    detail = runner.invoke(app, ["show", slug, "--json"])
    latest = json.loads(detail.stdout)["latest"]
    assert any(m["evidence"]["produced_by"] == "Dana Reyes" for m in latest.values())
    reported = runner.invoke(app, ["report", slug, "--out", str(tmp_path)])
    assert reported.exit_code == 0, reported.output
    markdown = (tmp_path / f"{slug}.md").read_text()
    assert "| 3.10 | client review by Dana Reyes; **the vendor reports" in markdown
    assert "- **`satisfaction` disagrees**: the vendor reports" in markdown
    assert "computed from" in markdown or "vendor-reported" in markdown

    code, output = review(
        slug,
        "satisfaction",
        "4.4",
        "--by",
        "Dana Reyes",
        "--rung",
        "rung-3",
        "--correct",
        "read the wrong survey",
    )
    assert code == 0 and "corrected 4.4" in output, output
    with read_session(settings) as session:
        audit = session.exec(
            select(AuditEntry.action, AuditEntry.reason)
            .where(col(AuditEntry.action).startswith("review_"))
            .order_by(col(AuditEntry.id))
        ).all()
    assert [action for action, _ in audit] == ["review_recorded", "review_corrected"]
    assert "was 3.1: read the wrong survey" in audit[1][1]
