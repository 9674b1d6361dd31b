"""`trials demo` as a user runs it: three vendors, three outcomes, no traceback, no ERROR."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from config import Settings

pytestmark = pytest.mark.e2e


def test_the_demo_expands_one_exits_one_and_stops_one_at_the_cap(
    settings: Settings, prefect_api: None
) -> None:
    # 80 columns, piped: the narrowest terminal the demo is read in.
    env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "COLUMNS": "80"}
    trials = Path(sys.executable).parent / "trials"
    done = subprocess.run(
        [str(trials), "demo"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output and " ERROR " not in output
    # Every trial id whole at the start of its row; the row says the rest.
    rows = {
        line.split()[0].rsplit("-", 1)[1]: line
        for line in done.stdout.splitlines()
        if line.startswith("demo-")
        and len(line.split()) >= 4
        and line.split()[0].rsplit("-", 1)[1] in {"reliable", "poor", "overrunner"}
    }  # not the wrapped note on the gates policy answered, which may start with an id
    assert set(rows) == {"reliable", "poor", "overrunner"}, output
    assert "…" not in done.stdout and all(len(line) <= 80 for line in rows.values())
    # Expanded, and the same run climbed engagement 2 to its evaluation, left to a person.
    assert rows["reliable"].split()[1:5] == ["evaluating", "3/3", "then", "2/2"]
    assert "expand" in rows["reliable"]
    assert rows["poor"].split()[1:3] == ["closed", "1/3"] and "exit" in rows["poor"]
    assert rows["overrunner"].split()[1:3] == ["closed", "2/3"]
    said = " ".join(done.stdout.split())
    assert "overrunner: at rung-3: over the cap 15,500.00 USD (" in said
    slugs = [line.split()[0] for line in rows.values()]
    # What to paste next: the report, opening it, and the UI that holds the demo's runs.
    assert f"report {slugs[0]}" in said and f"{slugs[0]}.html" in said
    assert "in the Prefect UI: http" in said

    # What the demo leaves behind can be budgeted and reported, each trial; the reports'
    # dates are the vendors' work on a clock that started today, so within months of it.
    today = datetime.now(UTC).date()
    for slug in slugs:
        for command in ("budget", "report"):
            shown = subprocess.run(
                [str(trials), command, slug], env=env, capture_output=True, text=True, timeout=120
            )
            assert shown.returncode == 0, shown.stdout + shown.stderr
            assert "Traceback" not in shown.stderr
        html = settings.data_dir / "reports" / f"{slug}.html"
        assert "<h2>Budget</h2>" in html.read_text() and 'alt="burn chart"' in html.read_text()
        markdown = (settings.data_dir / "reports" / f"{slug}.md").read_text()
        dates = [date.fromisoformat(d) for d in re.findall(r"\b\d{4}-\d{2}-\d{2}\b", markdown)]
        # Within the ladders' due days: 36 for the pilot, 90 more for engagement 2.
        assert dates and all(abs(d - today) <= timedelta(days=126) for d in dates), (slug, dates)


def test_the_demo_bakeoff_selects_the_reliable_vendor_and_reports_them_side_by_side(
    settings: Settings, prefect_api: None
) -> None:
    env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "COLUMNS": "80"}
    trials = Path(sys.executable).parent / "trials"
    done = subprocess.run(
        [str(trials), "demo", "--bakeoff"], env=env, capture_output=True, text=True, timeout=300
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output and " ERROR " not in output
    rows = {
        line.split()[0].rsplit("-", 1)[1]: line.split()
        for line in done.stdout.splitlines()
        if re.match(r"demo-\d{4}-\d{6}-(acme|brightdesk|northwind) ", line)
    }
    assert set(rows) == {"acme", "brightdesk", "northwind"}, output
    assert rows["acme"][1:5] == ["evaluating", "3/3", "then", "2/2"] and "expand" in rows["acme"]
    assert rows["brightdesk"][1] == rows["northwind"][1] == "closed"
    bakeoff = rows["acme"][0].rsplit("-", 1)[0]
    assert f"trials report {bakeoff}" in done.stdout
    shown = subprocess.run(
        [str(trials), "report", bakeoff], env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    html = (settings.data_dir / "reports" / f"{bakeoff}.html").read_text()
    assert "Selected: acme</strong>, by policy" in html and html.count("data:image/png") == 2
