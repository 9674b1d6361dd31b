"""The Prefect UI in headless Chromium shows a trial's flow runs and its artifacts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import httpx
from PIL import Image
from typer.testing import CliRunner

from cli.main import app
from flows.trial import trial
from simulator.config import ProfileName
from tests.flows.conftest import StoreTrial, prefect_server

TRIALS = str(Path(sys.executable).with_name("trials"))
SPENT_BLUE, CAP_RED = (0x1F, 0x6F, 0xEB), (0xD1, 0x24, 0x2F)  # as reports.chart draws them
CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def browse(url: str, *argv: str) -> str:
    """Load the page in headless Chromium, letting the UI fetch and render; its DOM."""
    chromium = shutil.which("chromium")
    assert chromium, "the browser test needs Debian's chromium; scripts/test.sh installs it"
    done = subprocess.run(
        [chromium, *CHROMIUM, "--virtual-time-budget=20000", "--window-size=1400,1000", *argv, url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def browse_until(url: str, *needles: str, attempts: int = 4) -> str:
    """The page's DOM once it shows every needle: the UI fetches its lists after it loads,
    and on a busy machine one load's time budget can end before they arrive."""
    for _ in range(attempts):
        page = browse(url, "--dump-dom")
        if all(needle in page for needle in needles):
            break
    return page


def test_the_ui_shows_a_trials_runs_and_artifacts(stored_trial: StoreTrial, tmp_path: Path) -> None:
    slug = stored_trial()
    with prefect_server(tmp_path) as env:
        ran = subprocess.run(
            [TRIALS, "run", slug, "--auto", "--wait", "60"],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert ran.returncode == 0, ran.stderr
        api = env["PREFECT_API_URL"]
        [run] = httpx.post(
            f"{api}/flow_runs/filter", json={"flow_runs": {"name": {"any_": [f"trial-{slug}"]}}}
        ).json()
        ui = api.removesuffix("/api")

        page = browse_until(f"{ui}/runs/flow-run/{run['id']}", f"trial-{slug}", "Completed")
        assert f"trial-{slug}" in page
        assert "Completed" in page
        screenshot = tmp_path / "trial-run.png"
        browse(f"{ui}/runs/flow-run/{run['id']}", f"--screenshot={screenshot}")
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one

        artifacts = browse_until(f"{ui}/artifacts", f"scorecard-{slug}", f"budget-{slug}")
        assert f"scorecard-{slug}" in artifacts
        assert f"budget-{slug}" in artifacts


async def test_the_report_shows_its_burn_chart_in_chromium(
    stored_trial: StoreTrial, tmp_path: Path
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER)
    assert await trial(slug, decisions="auto", wait_seconds=30) == "closed"
    written = CliRunner().invoke(app, ["report", slug, "--out", str(tmp_path)])
    assert written.exit_code == 0, written.output
    page = (tmp_path / f"{slug}.html").as_uri()

    dom = browse(page, "--dump-dom")
    assert "<h2>Budget</h2>" in dom and 'alt="burn chart"' in dom
    # The chart is drawn where the Budget section puts it: the screenshot of the page holds
    # the chart's spend line (its blue) and its cap line (its red), as pixels.
    screenshot = tmp_path / "report.png"
    browse(page, "--window-size=1100,4000", f"--screenshot={screenshot}")
    colours = Image.open(screenshot).convert("RGB").getcolors(maxcolors=1 << 22) or []
    assert near(colours, SPENT_BLUE) > 500, "the spend line is not on the page"
    assert near(colours, CAP_RED) > 500, "the cap line is not on the page"


def near(colours: list[tuple[int, tuple[int, int, int]]], target: tuple[int, int, int]) -> int:
    """How many pixels are of the target colour, give or take the browser's colour handling."""
    return sum(
        count
        for count, colour in colours
        if max(abs(a - b) for a, b in zip(colour, target, strict=True)) <= 12
    )
