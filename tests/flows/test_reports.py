"""`trials budget` and `trials report` on trials the pipeline ran, and the report in Prefect."""

from __future__ import annotations

import base64
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactCollectionFilter,
    ArtifactCollectionFilterKey,
)
from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.report import report
from flows.trial import trial
from models.tables import AuditEntry, CostEntry, Trial
from simulator.config import ProfileName
from store.db import read_session
from tests.flows.conftest import StoreTrial

runner = CliRunner()
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def overran(stored_trial: StoreTrial) -> str:
    """The overrunner, run with the advice taken: rescoped at the cap, then exited."""
    return stored_trial(ProfileName.OVERRUNNER)


async def test_budget_and_report_of_an_overrun_trial(
    settings: Settings, overran: str, tmp_path: Path
) -> None:
    assert await trial(overran, decisions="auto", wait_seconds=30) == "closed"
    shown = runner.invoke(app, ["budget", overran, "--out", str(tmp_path), "--json"])
    assert shown.exit_code == 0, shown.output
    budget = json.loads(shown.stdout)
    with read_session(settings) as session:
        spent = sum(
            session.exec(select(CostEntry.amount).where(CostEntry.kind == "timesheet")).all(),
            Decimal(0),
        )
    assert Decimal(budget["status"]["actual"]) == spent
    assert [r["rung"] for r in budget["rungs"]] == ["rung-1", "rung-2", "rung-3"]
    assert [Decimal(r["actual"]) > 0 for r in budget["rungs"]] == [True, True, False]
    assert Decimal(budget["status"]["forecast"]) > Decimal(budget["cap"])  # it overran
    assert budget["flags"] == []  # the simulator bills at the rate card
    assert Path(budget["chart"]).read_bytes()[:8] == PNG

    table = runner.invoke(app, ["budget", overran, "--out", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "Estimate at completion" in table.stdout and "50% of the estimate" in table.stdout

    # The report of the same trial: one run of the pipeline serves both, to save time.
    written = runner.invoke(app, ["report", overran, "--out", str(tmp_path)])
    assert written.exit_code == 0, written.output
    html = (tmp_path / f"{overran}.html").read_text()
    markdown = (tmp_path / f"{overran}.md").read_text()
    for heading in ("Plan", "Ladder", "Scorecard", "Budget", "Directives and overrides"):
        assert f"## {heading}" in markdown and f"<h2>{heading}</h2>" in html
    assert "## Decisions" in markdown and "## Exit result" in markdown
    assert "The exit is **complete**" in markdown
    # the decisions, each with its reason: approval, the cap gate, the evaluation
    assert re.search(r"\| budget-cap:e1:rung-3 \| rescope \| rescope \| policy \|", markdown)
    assert re.search(r"\| evaluation:e1:1 \| exit \| exit \| policy \|", markdown)
    # Markdown links the chart beside it; the HTML page carries it inside
    assert f"![burn chart]({overran}-burn.png)" in markdown
    assert (tmp_path / f"{overran}-burn.png").read_bytes()[:8] == PNG
    [inline] = re.findall(r'<img src="data:image/png;base64,([^"]+)" alt="burn chart"', html)
    assert base64.b64decode(inline) == (tmp_path / f"{overran}-burn.png").read_bytes()
    assert "<script" not in html and "http" not in html.split("<body>")[1]  # self-contained

    # The report flow writes the same files and publishes them to Prefect.
    paths = [Path(p) for p in await report(overran)]
    assert [p.name for p in paths] == [f"{overran}.html", f"{overran}.md", f"{overran}-burn.png"]
    assert paths[0].parent == settings.data_dir / "reports"
    async with get_client() as client:
        found = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=[f"report-{overran}", f"burn-chart-{overran}"])
            )
        )
    by_key = {a.key: a for a in found}
    published = str(by_key[f"report-{overran}"].data)
    assert published.startswith(markdown.split("## Budget")[0].split(" · report of ")[0])
    assert "## Budget" in published and "![burn chart](data:image/png;base64," in published
    assert str(by_key[f"burn-chart-{overran}"].data).startswith("[")  # a link artifact
    assert paths[2].resolve().as_uri() in str(by_key[f"burn-chart-{overran}"].data)


def test_reports_refuse_an_unknown_trial_and_one_never_started(
    settings: Settings, stored_trial: StoreTrial, tmp_path: Path
) -> None:
    draft = stored_trial()
    out = tmp_path / "reports"
    for command in ("report", "budget"):
        unknown = runner.invoke(app, [command, "no-such-trial", "--out", str(out)])
        assert unknown.exit_code == 1
        assert unknown.output.startswith("Error: No trial 'no-such-trial' in the store.")
    never = runner.invoke(app, ["report", draft, "--out", str(out)])
    assert never.exit_code == 1 and "Traceback" not in never.output
    assert f"Trial '{draft}' has not started, so there is nothing to report yet" in never.output
    assert not out.exists()  # nothing written
    with read_session(settings) as session:
        assert session.exec(select(Trial.phase)).one() == "draft"
        assert [a.action for a in session.exec(select(AuditEntry))] == ["created"]
