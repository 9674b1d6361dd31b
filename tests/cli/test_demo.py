"""`trials demo` as a user runs it: three vendors, three outcomes, no traceback, no ERROR."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prefect.settings import PREFECT_API_URL

from config import Settings

pytestmark = pytest.mark.e2e


def test_the_demo_expands_one_exits_one_and_stops_one_at_the_cap(
    settings: Settings, prefect_api: None
) -> None:
    env = os.environ | {"PREFECT_API_URL": str(PREFECT_API_URL.value()), "COLUMNS": "200"}
    trials = Path(sys.executable).parent / "trials"
    done = subprocess.run(
        [str(trials), "demo"], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Traceback" not in output and " ERROR " not in output
    lines = {
        line.split("│")[1].strip(): line
        for line in output.splitlines()
        if line.startswith("│") and line.split("│")[1].strip()
    }
    assert "piloting (engagement 2)" in lines["reliable"] and "expand" in lines["reliable"]
    assert "3/3, then 0/2" in lines["reliable"]  # rungs accepted in each engagement
    assert "closed (engagement 1)" in lines["poor"] and "exit" in lines["poor"]
    assert "│ 1/3 " in lines["poor"]
    assert "closed (engagement 1)" in lines["overrunner"] and "│ 2/3 " in lines["overrunner"]
    assert "at rung-3: over the cap 15,500.00 USD (" in lines["overrunner"]

    # What the demo leaves behind can be budgeted and reported, each trial.
    slugs = [line.split("│")[2].strip() for line in lines.values() if "demo-" in line]
    assert len(slugs) == 3
    for slug in slugs:
        for command in ("budget", "report"):
            shown = subprocess.run(
                [str(trials), command, slug], env=env, capture_output=True, text=True, timeout=120
            )
            assert shown.returncode == 0, shown.stdout + shown.stderr
            assert "Traceback" not in shown.stderr
        html = settings.data_dir / "reports" / f"{slug}.html"
        assert "<h2>Budget</h2>" in html.read_text() and 'alt="burn chart"' in html.read_text()
