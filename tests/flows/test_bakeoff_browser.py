"""A person selects at a bake-off's selection gate in the Prefect UI's form, in headless
Chromium; the run waiting there records the selection and carries every trial on."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator
from sqlmodel import select

from config import Settings
from flows.bakeoff import to_selection
from models.tables import Trial
from store.bakeoffs import get_bakeoff
from store.db import read_session
from tests.flows.test_bakeoff import BAKEOFF, PROFILES, StoreBakeoff, stored_bakeoff
from tests.flows.test_browser import (
    API_PATIENCE_S,
    PATIENCE_MS,
    TRIALS,
    browser_page,
    module_settings,
    reaches,
    reaches_gate,
    run_state,
    served,
    settings,
)

pytestmark = pytest.mark.e2e
__all__ = ["module_settings", "served", "settings", "stored_bakeoff"]  # the fixtures used
DEPLOYED = "desk-deployed"  # the second test's bake-off: the module's tests share a store
TOKENS = ("ACME_API_TOKEN", "BRIGHTDESK_API_TOKEN", "NORTHWIND_API_TOKEN")
RUN = (
    "import asyncio, sys; from flows.bakeoff import bakeoff; "
    "print(asyncio.run(bakeoff(sys.argv[1], decisions='ask', wait_seconds=30)))"
)


def paused_bakeoff(api: str, timeout: float = 300) -> str:
    """The id of the bake-off's run once it is paused at its selection gate."""
    key = f"selection-{BAKEOFF}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs: list[dict[str, Any]] = httpx.post(
            f"{api}/flow_runs/filter",
            json={"flow_runs": {"name": {"any_": [f"bakeoff-{BAKEOFF}"]}}},
            timeout=API_PATIENCE_S,
        ).json()
        for run in runs:
            state = run["state"] or {}
            if state.get("name") == "Paused" and state["state_details"].get("pause_key") == key:
                return str(run["id"])
        time.sleep(0.5)
    raise AssertionError(f"the bake-off never paused at {key}")


def submit(form: Locator, api: str, run_id: str) -> None:
    """Press Submit until the answer is sent: the form closes, or the run stops pausing.
    On a busy machine the UI has kept the form open after a click (tests.flows.test_browser)."""
    deadline = time.monotonic() + 2 * PATIENCE_MS / 1000
    while time.monotonic() < deadline:
        if form.is_visible():
            form.get_by_role("button", name="Submit").click()
        for _ in range(60):
            if not form.is_visible() or run_state(api, run_id)["name"] != "Paused":
                return
            time.sleep(0.5)
    raise AssertionError("the selection form never sent its answer")


def selected(settings: Settings, name: str = BAKEOFF, timeout: float = 240) -> str | None:
    """The vendor on record once the selection is, and every other vendor has exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with read_session(settings) as session:
            chosen = get_bakeoff(session=session, bakeoff=name).selected
            phases = {t.slug: t.phase for t in session.exec(select(Trial)).all()}
        others = [phases.get(f"{name}-{v}") for v in PROFILES if v != "acme"]
        if chosen is not None and set(others) == {"closed"}:
            return chosen
        time.sleep(0.5)
    return None


def test_a_person_selects_the_recommended_vendor_in_the_ui_form(
    settings: Settings, stored_bakeoff: StoreBakeoff, served: dict[str, str], tmp_path: Path
) -> None:
    stored_bakeoff()
    for vendor in PROFILES:  # the ladder in this process; the selection in the UI
        assert asyncio.run(to_selection(f"{BAKEOFF}-{vendor}", "auto", 30)) == "evaluating"
    api = served["PREFECT_API_URL"]
    env = served | {token: os.environ[token] for token in TOKENS}
    engine = subprocess.Popen([sys.executable, "-c", RUN, BAKEOFF], env=env, text=True)
    try:
        run_id = paused_bakeoff(api)
        tags = httpx.get(f"{api}/flow_runs/{run_id}", timeout=API_PATIENCE_S).json()["tags"]
        assert {f"trial:{BAKEOFF}-{vendor}" for vendor in PROFILES} <= set(tags)
        with browser_page() as page:
            page.goto(f"{api.removesuffix('/api')}/runs/flow-run/{run_id}")
            page.get_by_role("button", name="Resume").click()
            form = page.get_by_role("dialog")
            field = {
                label: form.locator(".schema-form-property", has_text=label)
                for label in ("Vendor", "Reason", "Decided By")
            }
            prefilled = field["Vendor"].locator(".p-select-button__value")
            prefilled.wait_for()
            shown = {"text": form.inner_text(), "vendor": prefilled.inner_text().strip()}
            field["Reason"].locator("textarea").fill("Every target met, and the cheapest")
            field["Decided By"].locator("textarea").fill("Sam Ortiz")
            page.screenshot(path=tmp_path / "selection.png")
            submit(form, api, run_id)
            assert selected(settings) == "acme"
        assert run_state(api, run_id)["name"] != "Paused"
    finally:
        engine.send_signal(signal.SIGKILL)  # acme climbs on to its next gates: not this test's
        engine.wait()
    assert shown["vendor"] == "acme"  # the engine's advice, prefilled
    assert "The engine recommends selecting acme" in shown["text"]
    assert "northwind" in shown["text"] and "first-response" in shown["text"]
    with read_session(settings) as session:
        row = get_bakeoff(session=session, bakeoff=BAKEOFF)
    assert (row.selected_by, row.selected_reason) == (
        "Sam Ortiz",
        "Every target met, and the cheapest",
    )


def test_the_deployment_suspends_at_the_selection_and_hands_the_winner_to_its_own_runs(
    settings: Settings, stored_bakeoff: StoreBakeoff, served: dict[str, str]
) -> None:
    stored_bakeoff(name=DEPLOYED)
    for vendor in PROFILES:
        assert asyncio.run(to_selection(f"{DEPLOYED}-{vendor}", "auto", 30)) == "evaluating"
    api = served["PREFECT_API_URL"]
    deployment = httpx.get(f"{api}/deployments/name/bakeoff/trials", timeout=API_PATIENCE_S)
    assert deployment.status_code == 200, deployment.text
    run = httpx.post(
        f"{api}/deployments/{deployment.json()['id']}/create_flow_run",
        json={"parameters": {"bakeoff": DEPLOYED, "wait_seconds": 30}},
        timeout=API_PATIENCE_S,
    ).json()
    slug = f"{DEPLOYED}-acme"
    started: list[str] = [run["id"]]
    try:
        # suspended: its process ended, and its worker is free
        reaches_gate(api, run["id"], f"selection-{DEPLOYED}")
        decided = cli(served, "decide", DEPLOYED, "select", "acme", "--reason", "Best on all")
        assert f"Resumed bakeoff-{DEPLOYED}" in decided
        assert selected(settings, DEPLOYED) == "acme"
        # The same run expands acme and climbs its new ladder to the client's review, which
        # it leaves to a person without pausing (a vendor's trial is a subflow, which cannot
        # suspend), and ends: no subflow sits paused on a worker.
        reaches(api, run["id"], "Completed")
        assert waiting_for(settings, slug) == "client review to accept the rung"
        # The review, recorded for the next run, starts acme's own trial run through the
        # carry-on deployment; that run applies it and suspends at the evaluation.
        reviewed = cli(served, "review", slug, "all-office-satisfaction", "4.6", "--by", "Sam")
        assert "Told the Prefect server: its carry-on deployment starts that run" in reviewed
        own = trial_run(api, slug)
        started.append(own)
        reaches_gate(api, own, "evaluation-e2-1")
    finally:
        for run_id in started:
            httpx.post(
                f"{api}/flow_runs/{run_id}/set_state",
                json={"state": {"type": "CANCELLING"}, "force": True},
                timeout=API_PATIENCE_S,
            )
    with read_session(settings) as session:
        row = get_bakeoff(session=session, bakeoff=DEPLOYED)
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
    assert row.selected_reason == "Best on all" and trial.engagement == 2
    assert (trial.phase, trial.waiting_for) == ("evaluating", "decision at evaluation")


def cli(env: dict[str, str], *argv: str) -> str:
    """`trials ARGV` against the module's server; what it printed. Exit 0 is asserted."""
    done = subprocess.run([TRIALS, *argv], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def waiting_for(settings: Settings, slug: str) -> str | None:
    with read_session(settings) as session:
        return session.exec(select(Trial.waiting_for).where(Trial.slug == slug)).one()


def trial_run(api: str, slug: str, timeout: float = 180) -> str:
    """The id of the trial's own run (of the `trial` deployment, not the bake-off's
    subflow of that name), once one is made."""
    deployment = httpx.get(f"{api}/deployments/name/trial/trials", timeout=API_PATIENCE_S)
    query = {
        "flow_runs": {"name": {"any_": [f"trial-{slug}"]}},
        "deployments": {"id": {"any_": [deployment.json()["id"]]}},
    }
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = httpx.post(f"{api}/flow_runs/filter", json=query, timeout=API_PATIENCE_S).json()
        if runs:
            return str(runs[0]["id"])
        time.sleep(0.5)
    raise AssertionError(f"no run of trial {slug} was started")


def test_starting_a_vendors_trial_starts_its_bake_offs_run_once(
    settings: Settings, stored_bakeoff: StoreBakeoff, served: dict[str, str]
) -> None:
    """`trials start`, the monitor and the event-triggered carry-on all start a trial
    through one function: for a vendor of a bake-off that has not selected, it starts the
    bake-off's run, so a trial run never carries a vendor beside the bake-off's run."""
    name = "desk-started"
    stored_bakeoff(name=name)
    api = served["PREFECT_API_URL"]
    auto = subprocess.run(
        [TRIALS, "start", f"{name}-acme", "--auto"],
        env=served,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert auto.returncode == 1 and auto.stderr.startswith(
        f"Error: Trial '{name}-acme' is a vendor of bake-off '{name}', whose run carries every"
    ), auto.stderr
    said = [cli(served, "start", f"{name}-{vendor}") for vendor in ("acme", "northwind")]
    assert said[0].startswith(f"bakeoff-{name} is scheduled"), said[0]
    assert said[1].startswith(f"bakeoff-{name} is under way already"), said[1]
    runs = httpx.post(
        f"{api}/flow_runs/filter",
        json={
            "flow_runs": {
                "name": {"any_": [f"bakeoff-{name}", *(f"trial-{name}-{v}" for v in PROFILES)]}
            }
        },
        timeout=API_PATIENCE_S,
    ).json()
    try:
        assert [r["name"] for r in runs] == [f"bakeoff-{name}"]
        assert runs[0]["parameters"]["bakeoff"] == name
    finally:  # the vendors' climb is the other tests' subject
        for run in runs:
            httpx.post(
                f"{api}/flow_runs/{run['id']}/set_state",
                json={"state": {"type": "CANCELLING"}, "force": True},
                timeout=API_PATIENCE_S,
            )
