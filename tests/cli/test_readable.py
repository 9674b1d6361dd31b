"""The commands' output read at 80 and 120 columns, as a terminal or a pipe shows it:
every id whole on one line, and no table cell squeezed to one word a line."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cli.demo_summary import print_summary
from cli.main import app
from config import Settings
from store.outcomes import TrialOutcome
from tests.conftest import EXAMPLES

runner = CliRunner()
WIDTHS = (80, 120)
BORDERS = re.compile(r"[│┃║|]")


def one_word_runs(output: str) -> list[list[str]]:
    """Runs of two or more lines that continue a wrapped cell (they start blank) and hold
    one word each: a column squeezed to one word a line."""
    runs: list[list[str]] = [[]]
    for line in output.splitlines():
        text = BORDERS.sub(" ", line)
        rule = set(text.strip()) <= set("─━═┼╇┡┩")
        if text[:1].isspace() and len(text.split()) == 1 and not rule:
            runs[-1].append(line)
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) >= 2]


def assert_readable(output: str, ids: list[str], width: int) -> None:
    lines = output.splitlines()
    for id_ in ids:
        assert any(re.search(rf"(?<![\w-]){re.escape(id_)}(?![\w-])", ln) for ln in lines), (
            f"{id_} is not whole on any line at {width} columns:\n{output}"
        )
    assert "…" not in output, output
    assert not one_word_runs(output), output


def demo_outcomes() -> list[TrialOutcome]:
    """The three trials as the demo leaves them."""
    why = (
        "expectation 'first-response' is due and measured 35.1 against <= 30 minutes; "
        "expectation 'reopen-rate' is due and measured 6.2 against <= 5 percent"
    )
    stopped = (
        "at rung-3: over the cap 15,500.00 USD (the next rung, forecast at 10,902.32 at the "
        "cost performance so far, on top of 5,123.11 spent would exceed the cap 15,500.00)"
    )
    rows = [
        ("reliable", "piloting", 2, [(3, 3), (0, 2)], "10432.18", "expand", "weighted score 100%"),
        ("poor", "closed", 1, [(1, 3)], "3210.50", "exit", why),
        ("overrunner", "closed", 1, [(2, 3)], "15834.55", "exit", None),
    ]
    return [
        TrialOutcome(
            slug=f"demo-0512-143501-{vendor}",
            vendor=vendor,
            phase=phase,
            engagement=engagement,
            rungs=rungs,
            spent=Decimal(spent),
            estimate=Decimal(13500),
            currency="USD",
            decision=decision,
            why=reason,
            stopped=stopped if vendor == "overrunner" else None,
        )
        for vendor, phase, engagement, rungs, spent, decision, reason in rows
    ]


@pytest.mark.parametrize("width", WIDTHS)
def test_the_demo_summary_shows_every_trial_whole(width: int, tmp_path: Path) -> None:
    outcomes = demo_outcomes()
    file = io.StringIO()
    out = Console(file=file, width=width, highlight=False, soft_wrap=True, markup=False)
    print_summary(out, outcomes, 41.3, tmp_path / "reports", None)
    shown = file.getvalue()
    assert_readable(shown, [o.slug for o in outcomes], width)
    assert "measured 35.1 against <= 30 minutes" in " ".join(shown.split())
    # Three things to paste next: the report, opening it, and the UI.
    commands = [ln.strip() for ln in shown.splitlines() if ln.startswith("  ")]
    assert any(c.endswith("report demo-0512-143501-reliable") for c in commands)
    page = tmp_path / "reports" / "demo-0512-143501-reliable.html"
    assert any(c.endswith(str(page)) for c in commands)
    assert any(c.endswith(" server") for c in commands)


@pytest.mark.parametrize("width", WIDTHS)
def test_list_show_and_validate_read_at_any_width(
    width: int, settings: Settings, tmp_path: Path
) -> None:
    plan = (EXAMPLES / "helpdesk-takeover.yaml").read_text()
    plan = plan.replace("trial: acme-helpdesk-2026q4", "trial: acme-helpdesk-takeover-2026q4")
    path = tmp_path / "plan.yaml"
    path.write_text(plan)
    env = {"COLUMNS": str(width)}
    created = runner.invoke(app, ["create", str(path)])
    assert created.exit_code == 0, created.output
    listed = runner.invoke(app, ["list"], env=env)
    assert_readable(listed.stdout, ["acme-helpdesk-takeover-2026q4"], width)
    shown = runner.invoke(app, ["show", "acme-helpdesk-takeover-2026q4"], env=env)
    ids = ["rung-1", "rung-2", "rung-3", "first-response", "p90_first_response_minutes"]
    ids += ["reopened_tickets_percent", "knowledge_transfer", "acme-helpdesk-takeover-2026q4"]
    assert_readable(shown.stdout, ids, width)
    validated = runner.invoke(app, ["validate", str(path)], env=env)
    assert_readable(validated.stdout, ["rung-1", "rung-3"], width)
