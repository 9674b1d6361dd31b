"""The Prefect UI in headless Chromium shows a trial's flow runs and its artifacts, and a person
decides a trial's gates in its form; the trial report renders its chart.

The module's tests share one store, and one `trials server` with the deployments and a
worker: each test's trial has a name of its own.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, sync_playwright
from sqlmodel import select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.trial import trial
from models.tables import Decision, Measurement, PilotTask, Trial
from simulator.config import ProfileName
from store.db import read_session
from tests.conftest import empty_store
from tests.flows.conftest import StoreTrial, start_workers, stop_workers
from tests.servers import prefect_server

pytestmark = pytest.mark.e2e

TRIALS = str(Path(sys.executable).with_name("trials"))
SPENT_BLUE, CAP_RED = (0x1F, 0x6F, 0xEB), (0xD1, 0x24, 0x2F)  # as reports.chart draws them
PATIENCE_MS = 120_000
# The test's own reads of the server's API: a server on SQLite, writing a run's states for a
# worker on a busy machine, has been seen to take over httpx's default 5 s to answer a read.
API_PATIENCE_S = 60
CHROMIUM = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="module")
def module_settings(
    store_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Settings]:
    """One store for the module's trials, so that one worker can run them all."""
    with pytest.MonkeyPatch.context() as environment:
        yield empty_store(store_template, tmp_path_factory.mktemp("store"), environment)


@pytest.fixture
def settings(module_settings: Settings) -> Settings:
    return module_settings


@pytest.fixture(scope="module")
def served(
    module_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, str]]:
    """`trials server` with prefect.yaml's deployments and a worker, for the module; the
    environment to reach it. The worker is stopped afterwards."""
    with prefect_server(tmp_path_factory.mktemp("server")) as env:
        deployed = subprocess.run([TRIALS, "deploy"], env=env, capture_output=True, text=True)
        assert deployed.returncode == 0, deployed.stderr + deployed.stdout
        [worker] = start_workers(env)
        try:
            yield env
        finally:
            stop_workers([worker])


def chromium_path() -> str:
    chromium = shutil.which("chromium")
    assert chromium, "the browser tests need Debian's chromium; scripts/test.sh installs it"
    return chromium


def browse(url: str, *argv: str) -> str:
    """Load the page in headless Chromium, letting the UI fetch and render; its DOM."""
    done = subprocess.run(
        [
            chromium_path(),
            *CHROMIUM,
            "--virtual-time-budget=20000",
            "--window-size=1400,1000",
            *argv,
            url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


@contextmanager
def browser_page() -> Iterator[Page]:
    """A page in headless Chromium, driven by Playwright. Each action waits up to two
    minutes, not Playwright's 30 s: on a busy machine the UI can take that long to answer."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path(), args=CHROMIUM[1:], timeout=PATIENCE_MS
        )
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(PATIENCE_MS)
            yield page
        finally:
            browser.close()


def browse_until(url: str, *needles: str, attempts: int = 4) -> str:
    """The page's DOM once it shows every needle: the UI fetches its lists after it loads,
    and on a busy machine one load's time budget can end before they arrive."""
    for _ in range(attempts):
        page = browse(url, "--dump-dom")
        if all(needle in page for needle in needles):
            break
    return page


def test_the_ui_shows_a_trials_runs_and_artifacts(
    stored_trial: StoreTrial, served: dict[str, str], tmp_path: Path
) -> None:
    slug = stored_trial(slug="ui-runs")
    api = served["PREFECT_API_URL"]
    ui = api.removesuffix("/api")
    # `trials server --port N`, started with no Prefect URL in its environment, serves a UI
    # that calls its own API, not port 4200's.
    ui_settings = httpx.get(f"{ui}/ui-settings", timeout=API_PATIENCE_S).json()
    assert ui_settings["api_url"] == api
    ran = subprocess.run(
        [TRIALS, "run", slug, "--auto", "--wait", "60"],
        env=served,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ran.returncode == 0, ran.stderr
    [run] = httpx.post(
        f"{api}/flow_runs/filter",
        json={"flow_runs": {"name": {"any_": [f"trial-{slug}"]}}},
        timeout=API_PATIENCE_S,
    ).json()

    page = browse_until(f"{ui}/runs/flow-run/{run['id']}", f"trial-{slug}", "Completed")
    assert f"trial-{slug}" in page
    assert "Completed" in page
    assert "Can't connect to Server API" not in page
    screenshot = tmp_path / "trial-run.png"
    browse(f"{ui}/runs/flow-run/{run['id']}", f"--screenshot={screenshot}")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # a rendered page, not a blank one

    artifacts = browse_until(f"{ui}/artifacts", f"scorecard-{slug}", f"budget-{slug}")
    assert f"scorecard-{slug}" in artifacts
    assert f"budget-{slug}" in artifacts


def run_state(api: str, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = httpx.get(f"{api}/flow_runs/{run_id}", timeout=API_PATIENCE_S).json()
    state: dict[str, Any] = run["state"]
    return state


def reaches(api: str, run_id: str, name: str, timeout: float = 300) -> dict[str, Any]:
    """The run's state once it is `name`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = run_state(api, run_id)
        if state["name"] == name:
            return state
        assert state["type"] not in {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}, state
        time.sleep(0.5)
    raise AssertionError(f"the run never reached {name}: it is {state['name']}")


def answer_in_the_form(
    page: Page, api: str, run_id: str, key: str, reason: str, by: str, shot: Path
) -> dict[str, str]:
    """Open the run's page, press Resume, and submit the form of the gate `key` with this
    reason and name; what the form held before it was touched."""
    page.goto(f"{api.removesuffix('/api')}/runs/flow-run/{run_id}")
    page.get_by_role("button", name="Resume").click()
    form = page.get_by_role("dialog")
    field = {
        label: form.locator(".schema-form-property", has_text=label)
        for label in ("Reason", "Decided By", "Choice")
    }
    choice = field["Choice"].locator(".p-select-button__value")  # the UI's own select
    choice.wait_for()
    shown = {
        "text": form.inner_text(),
        "choice": choice.inner_text().strip(),
        "reason": field["Reason"].locator("textarea").input_value(),
    }
    field["Reason"].locator("textarea").fill(reason)
    field["Decided By"].locator("textarea").fill(by)
    page.screenshot(path=shot)
    submit(form, api, run_id, key)
    return shown


def review_in_the_form(
    page: Page,
    api: str,
    run_id: str,
    key: str,
    values: dict[str, str],
    by: str,
    shot: Path,
) -> dict[str, str]:
    """Open the run's page, press Resume, type each review value into its number field,
    and submit the acceptance form; what the form showed."""
    page.goto(f"{api.removesuffix('/api')}/runs/flow-run/{run_id}")
    page.get_by_role("button", name="Resume").click()
    form = page.get_by_role("dialog")
    form.locator(".schema-form-property", has_text="Reason").locator("textarea").wait_for()
    shown = {"text": form.inner_text()}
    for expectation, value in values.items():
        field = form.locator(".schema-form-property", has_text=f"{expectation} (")
        field.locator("input").fill(value)
    form.locator(".schema-form-property", has_text="Reason").locator("textarea").fill(
        "Client survey of rung 3"
    )
    form.locator(".schema-form-property", has_text="Decided By").locator("textarea").fill(by)
    page.screenshot(path=shot)
    submit(form, api, run_id, key)
    return shown


def submit(form: Locator, api: str, run_id: str, key: str) -> None:
    """Press Submit until the answer is sent: the form closes, or the run leaves the gate.

    On a busy machine the UI has been seen to keep the form open for minutes after the
    click; a person would press Submit again, and so does this, every 30 s.
    """
    deadline = time.monotonic() + 2 * PATIENCE_MS / 1000
    while time.monotonic() < deadline:
        if form.is_visible():
            form.get_by_role("button", name="Submit").click()
        for _ in range(60):
            state = run_state(api, run_id)
            at_gate = (
                state["name"] == "Suspended" and state["state_details"].get("pause_key") == key
            )
            if not form.is_visible() or not at_gate:
                return
            time.sleep(0.5)
    raise AssertionError(f"the form at {key} never sent its answer")


def start_on_the_worker(slug: str, env: dict[str, str]) -> str:
    """Start the trial on the module's server, where its worker takes the run: the run's id."""
    started = subprocess.run(
        [TRIALS, "start", slug], env=env, capture_output=True, text=True, timeout=120
    )
    assert started.returncode == 0, started.stderr
    return started.stdout.strip().rsplit("/", 1)[-1]


def test_a_person_decides_each_gate_in_the_ui_form_and_the_same_run_carries_on(
    settings: Settings, stored_trial: StoreTrial, served: dict[str, str], tmp_path: Path
) -> None:
    slug = stored_trial(slug="ui-forms")
    env, run_id = served, start_on_the_worker(slug, served)
    api = env["PREFECT_API_URL"]

    with browser_page() as page:
        gate = "budget-approval-e1"
        reaches_gate(api, run_id, gate)
        budget = answer_in_the_form(
            page, api, run_id, gate, "Within the Q4 budget", "Sam Ortiz", tmp_path / "budget.png"
        )
        # The form closes as it sends the answer: the run may show the gate just
        # answered for a moment, so this waits for the next gate by its key.
        gate = "acceptance-e1-rung-3"  # rung-3's satisfaction is the client's to review
        reaches_gate(api, run_id, gate)
        review = review_in_the_form(
            page, api, run_id, gate, {"satisfaction": "4.5"}, "Sam Ortiz", tmp_path / "review.png"
        )
        gate = "evaluation-e1-1"
        reaches_gate(api, run_id, gate)
        evaluation = answer_in_the_form(
            page, api, run_id, gate, "Every target met", "Sam Ortiz", tmp_path / "decision.png"
        )
    # The same run carries on into engagement 2 and climbs to its own acceptance gate.
    reaches_gate(api, run_id, "acceptance-e2-l2-takeover")

    # The forms showed the engine's advice, prefilled; the person's answers were recorded.
    assert budget["choice"] == "approve"
    assert "rung-3" in budget["text"] and "8,050.00" in budget["text"]  # the ladder's cost
    assert "the estimate covers the ladder under the cap" in budget["reason"]
    assert evaluation["choice"] == "expand"
    assert evaluation["reason"]  # the recommendation's rationale
    assert "the vendor reports" in review["text"] and "points of 5" in review["text"]
    for shot in ("budget.png", "review.png", "decision.png"):
        assert (tmp_path / shot).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        decided = session.exec(
            select(Decision.gate, Decision.choice, Decision.decided_by, Decision.reason).where(
                Decision.trial_id == row.id
            )
        ).all()
        reviewed = session.exec(
            select(Measurement.value, Measurement.produced_by).where(
                Measurement.trial_id == row.id, Measurement.source == "client_review"
            )
        ).all()
    assert sorted(decided) == [
        ("acceptance:e1:rung-3", "accept", "Sam Ortiz", "Client survey of rung 3"),
        ("budget-approval:e1", "approve", "Sam Ortiz", "Within the Q4 budget"),
        ("evaluation:e1:1", "expand", "Sam Ortiz", "Every target met"),
    ]
    assert reviewed == [(Decimal("4.5"), "Sam Ortiz")]
    assert (row.phase, row.engagement, row.waiting_for) == (
        "piloting",
        2,
        "client review to accept the rung",
    )


async def test_the_report_shows_its_burn_chart_in_chromium(
    stored_trial: StoreTrial, tmp_path: Path
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER, slug="ui-report")
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


def test_the_cap_form_refuses_a_cap_too_low_and_takes_one_that_lets_the_rung_start(
    settings: Settings, stored_trial: StoreTrial, served: dict[str, str], tmp_path: Path
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER, slug="ui-cap")
    env, run_id = served, start_on_the_worker(slug, served)
    api, ui = env["PREFECT_API_URL"], env["PREFECT_API_URL"].removesuffix("/api")
    reaches(api, run_id, "Suspended")
    approved = subprocess.run(
        [TRIALS, "decide", slug, "approve", "--reason", "covered"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert approved.returncode == 0, approved.stderr
    reaches_gate(api, run_id, "budget-cap-e1-rung-3")

    with browser_page() as page:
        page.goto(f"{ui}/runs/flow-run/{run_id}")
        page.get_by_role("button", name="Resume").click()
        form = page.get_by_role("dialog")
        field = {
            label: form.locator(".schema-form-property", has_text=label)
            for label in ("Reason", "Decided By", "Choice", "New Cap")
        }
        field["Choice"].locator(".p-select-button__control").press("ArrowDown")
        page.get_by_role("option", name="raise-cap").click()
        field["Reason"].locator("textarea").fill("Rung 3 is the on-call cover we need")
        field["Decided By"].locator("textarea").fill("Sam Ortiz")
        # The person reads the least cap off the form, and first types less.
        least = re.search(r"at least ([\d,]+\.\d\d) USD", field["New Cap"].inner_text())
        assert least, field["New Cap"].inner_text()
        needed = Decimal(least[1].replace(",", ""))
        field["New Cap"].get_by_role("button", name="float").click()
        field["New Cap"].locator("input").fill("15600")
        form.get_by_role("button", name="Submit").click()
        refusal = field["New Cap"].get_by_text("is not valid")
        refusal.wait_for()
        page.screenshot(path=tmp_path / "cap-refused.png")
        assert form.is_visible()
        waiting = run_state(api, run_id)
        field["New Cap"].locator("input").fill(str(needed))
        submit(form, api, run_id, "budget-cap-e1-rung-3")
    # Rung 3 is delivered; its satisfaction review is answered from a terminal this time,
    # which resumes the suspended run as the form would.
    reaches_gate(api, run_id, "acceptance-e1-rung-3")
    reviewed = subprocess.run(
        [TRIALS, "review", slug, "satisfaction", "4.5", "--by", "Sam Ortiz"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert reviewed.returncode == 0, reviewed.stderr
    assert "Resumed" in reviewed.stdout, reviewed.stdout
    after = reaches_gate(api, run_id, "evaluation-e1-1")

    # 15,600 was refused in the form, and the run stayed suspended at the cap.
    assert (waiting["name"], waiting["state_details"]["pause_key"]) == (
        "Suspended",
        "budget-cap-e1-rung-3",
    )
    assert Decimal(15500) < Decimal(15600) < needed  # over the old cap, short of the rung
    assert (tmp_path / "cap-refused.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # The least cap was taken: the same run climbed rung 3 and went on to its evaluation.
    assert after["name"] == "Suspended"
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        cap = session.exec(
            select(Decision).where(
                Decision.trial_id == row.id, Decision.gate == "budget-cap:e1:rung-3"
            )
        ).one()
        rung_3 = session.exec(
            select(PilotTask).where(PilotTask.trial_id == row.id, PilotTask.rung_key == "rung-3")
        ).one()
    assert (cap.choice, cap.decided_by, cap.reason) == (
        "raise-cap",
        "Sam Ortiz",
        "Rung 3 is the on-call cover we need",
    )
    assert json.loads(cap.evidence_json)["new_cap"] == str(needed)
    assert row.budget_cap == needed and row.phase == "evaluating"
    assert rung_3.vendor_ref is not None


def reaches_gate(api: str, run_id: str, key: str, timeout: float = 300) -> dict[str, Any]:
    """The run's state once it is suspended at the gate of that pause key."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = reaches(api, run_id, "Suspended", timeout)
        if state["state_details"].get("pause_key") == key:
            return state
        time.sleep(0.5)
    raise AssertionError(f"the run never suspended at {key}")
