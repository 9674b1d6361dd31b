"""A bake-off of three simulated vendors on one shared ladder, under the Prefect test harness."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
from prefect.settings import PREFECT_API_URL
from sqlmodel import col, select
from typer.testing import CliRunner, Result

from cli.main import app
from config import Settings
from flows.bakeoff import bakeoff, settle_selection, to_selection
from flows.trial import trial
from models.notify import GateNotice
from models.phases import Phase
from models.tables import Decision, PilotTask, Trial
from planfile.bakeoff import load_bakeoff
from simulator.config import ProfileName, SimulatorConfig
from store.bakeoffs import get_bakeoff, store_bakeoff
from store.db import read_session, write_session
from store.phases import change_phase
from tasks.bakeoff import assess_selection
from tasks.reporting import announce_gate
from tests.conftest import EXAMPLES, StartSimulator
from tests.flows.conftest import events_about
from tests.flows.test_crash import kill_when

BAKEOFF = "helpdesk-2027q1"
PROFILES = {
    "acme": ProfileName.RELIABLE,
    "brightdesk": ProfileName.POOR,
    "northwind": ProfileName.OVERRUNNER,
}
PORTS = {"acme": "8765", "brightdesk": "8766", "northwind": "8767"}
StoreBakeoff = Callable[..., dict[str, str]]


@pytest.fixture
def stored_bakeoff(
    settings: Settings,
    simulator_server: StartSimulator,
    prefect_api: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> StoreBakeoff:
    """Store the example bake-off, each vendor a fresh simulator of its profile; return the
    simulators' base URLs by vendor."""

    def store(seconds_per_day: float = 0.02, name: str = BAKEOFF) -> dict[str, str]:
        text = (EXAMPLES / "bakeoffs" / "helpdesk.yaml").read_text()
        text = text.replace(f"bakeoff: {BAKEOFF}", f"bakeoff: {name}")
        bases = {}
        for vendor, profile in PROFILES.items():
            bases[vendor] = simulator_server(
                SimulatorConfig(profile=profile, seconds_per_day=seconds_per_day)
            ).rstrip("/")
            text = text.replace(f"http://127.0.0.1:{PORTS[vendor]}", bases[vendor])
        # One token variable, as a worker started before the test knows it (tests.servers);
        # the vendors' addresses differ, so they are still told apart.
        text = text.replace("BRIGHTDESK_API_TOKEN", "ACME_API_TOKEN")
        text = text.replace("NORTHWIND_API_TOKEN", "ACME_API_TOKEN")
        for variable in ("ACME_API_TOKEN", "BRIGHTDESK_API_TOKEN", "NORTHWIND_API_TOKEN"):
            monkeypatch.setenv(variable, "sim-token")
        plan_file = tmp_path / "bakeoff.yaml"
        plan_file.write_text(text)
        plans = load_bakeoff(plan_file, settings.policy).plans()
        with write_session(settings) as session:
            store_bakeoff(session=session, bakeoff=name, title="t", plans=plans, actor="tester")
        return bases

    return store


def ledger(base: str) -> dict[str, object]:
    return httpx.get(f"{base}/admin/ledger").json()  # type: ignore[no-any-return]


async def test_the_reliable_vendor_is_selected_and_expands_while_the_others_exit(
    settings: Settings, stored_bakeoff: StoreBakeoff, tmp_path: Path
) -> None:
    bases = stored_bakeoff()
    outcome = await bakeoff(BAKEOFF, decisions="auto", wait_seconds=30)
    assert outcome == "acme: waiting, brightdesk: closed, northwind: closed"
    with read_session(settings) as session:
        row = get_bakeoff(session=session, bakeoff=BAKEOFF)
        trials = {t.slug: t for t in session.exec(select(Trial)).all()}
        decisions = session.exec(select(Decision.choice, Decision.reason)).all()
    assert row.selected == "acme" and row.selected_by == "policy"
    acme = trials[f"{BAKEOFF}-acme"]
    assert (acme.phase, acme.engagement) == ("evaluating", 2)  # expanded, and climbed on
    selection = [d for d in decisions if d[1].startswith(f"selection:{BAKEOFF}")]
    assert sorted(choice for choice, _ in selection) == ["exit", "exit", "expand"]
    for vendor in ("brightdesk", "northwind"):
        effects = ledger(bases[vendor])
        assert effects["effects"]["exports"] == 1  # type: ignore[index]
        assert {r["creations"] for r in effects["client_refs"].values()} == {1}  # type: ignore[attr-defined]
    assert {r["creations"] for r in ledger(bases["acme"])["client_refs"].values()} == {1}  # type: ignore[attr-defined]

    written = CliRunner().invoke(app, ["report", BAKEOFF, "--out", str(tmp_path / "out")])
    assert written.exit_code == 0, written.output
    html = (tmp_path / "out" / f"{BAKEOFF}.html").read_text()
    assert (
        html.count("data:image/png;base64,") == 2 and "Selected: acme</strong>, by policy" in html
    )
    assert "The engine recommends selecting <strong>acme</strong>" in html
    for vendor in PROFILES:  # each vendor's column, on the shared ladder, though two exited
        assert f"<th>{vendor}</th>" in html
    for chart in ("scores", "burn"):
        assert (tmp_path / "out" / f"{BAKEOFF}-{chart}.png").read_bytes().startswith(b"\x89PNG")
    async with get_client() as client:
        artifact = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=[f"bakeoff-report-{BAKEOFF}"])
            )
        )
    assert artifact and "Selected: acme" in str(artifact[0].data)

    # What if: the vendors as they stood at the gate, though two have exited since.
    stored = rescore(BAKEOFF)
    assert stored["old"]["vendor"] == stored["new"]["vendor"] == "acme"
    assert stored["selected"] == "acme"
    assert [s["vendor"] for s in stored["standings"]] == list(PROFILES)
    assert all(s["old_score"] is not None for s in stored["standings"])
    # acme and northwind meet every expectation (1.000 each) and acme's estimate at
    # completion is lower: no weight of any expectation changes that, and it says so.
    assert [s["new_score"] for s in stored["standings"]] == ["1.000", "0.000", "1.000"]
    assert all(s["flips"] == [] for s in stored["sensitivity"])
    heavier = rescore(BAKEOFF, "--weight", "first-response=10", "--weight", "runbooks=0")
    assert heavier["new"]["vendor"] == "acme" and heavier["selected"] == "acme"
    shown = CliRunner().invoke(app, ["rescore", BAKEOFF, "--weight", "nope=2"])
    assert shown.exit_code == 1 and "shares no expectation 'nope'" in shown.output
    table = CliRunner().invoke(app, ["rescore", BAKEOFF], env={"COLUMNS": "120"})
    assert table.exit_code == 0 and "Advised as stored: acme." in table.output
    assert "On record, unchanged: acme." in table.output
    with read_session(settings) as session:  # a what-if records nothing
        assert get_bakeoff(session=session, bakeoff=BAKEOFF).selected == "acme"
        assert len(session.exec(select(Decision)).all()) == len(decisions)


def rescore(*argv: str) -> dict:  # type: ignore[type-arg]
    """`trials rescore ... --json`, read."""
    result = CliRunner().invoke(app, ["rescore", *argv, "--json"])
    assert result.exit_code == 0, result.output
    found: dict = json.loads(result.output)  # type: ignore[type-arg]
    return found


def decide(*argv: str) -> Result:
    result = CliRunner().invoke(app, ["decide", *argv])
    assert "Traceback" not in result.output
    return result


async def test_a_person_selects_from_the_command_line_once_and_the_rerun_applies_it(
    settings: Settings, stored_bakeoff: StoreBakeoff, monkeypatch: pytest.MonkeyPatch
) -> None:
    bases = stored_bakeoff()
    for vendor in PROFILES:
        assert await to_selection(f"{BAKEOFF}-{vendor}", "auto", 30) == "evaluating"
    with write_session(settings) as session:  # northwind leaves before the selection
        change_phase(
            session=session, slug=f"{BAKEOFF}-northwind", to=Phase.EXITING, actor="t", reason="t"
        )

    # A vendor's own trial run (the monitor's, say) leaves its evaluation to the selection.
    assert await trial(f"{BAKEOFF}-brightdesk", decisions="auto", wait_seconds=30) == "waiting"
    with read_session(settings) as session:
        assert (
            session.exec(select(Decision).where(col(Decision.gate).startswith("eval"))).all() == []
        )
    since = datetime.now(UTC)  # the gate opens: each vendor still in waits, its people told
    sent: list[str] = []
    real = announce_gate

    async def counted(notice: GateNotice) -> None:  # the real send, counted
        sent.append(notice.slug)
        await real(notice)

    monkeypatch.setattr("flows.bakeoff.announce_gate", counted)
    selection = await assess_selection(BAKEOFF)
    assert not await settle_selection(selection, "defer", 0)
    assert not await settle_selection(selection, "defer", 0)  # told once, not twice
    assert sorted(sent) == [f"{BAKEOFF}-acme", f"{BAKEOFF}-brightdesk"]
    [opened] = await events_about("trials.gate.opened", f"{BAKEOFF}-acme", since, 1)
    assert opened.payload["answer"] == f"trials decide {BAKEOFF} select VENDOR|none --reason TEXT"
    assert opened.payload["advice"] == "acme"
    with read_session(settings) as session:
        waiting = {t.slug: t.waiting_for for t in session.exec(select(Trial)).all()}
    assert waiting[f"{BAKEOFF}-brightdesk"] == "selection at bake-off"
    assert waiting[f"{BAKEOFF}-northwind"] != "selection at bake-off"  # it left

    alone = decide(f"{BAKEOFF}-acme", "expand", "--reason", "r")
    assert alone.exit_code == 1 and "whose selection decides every vendor's evaluation" in (
        alone.output
    )
    unknown = decide(BAKEOFF, "select", "zeta", "--reason", "r")
    assert unknown.exit_code == 1
    assert "'zeta' is not a vendor of bake-off 'helpdesk-2027q1': select one of acme, " in (
        unknown.output
    )
    exited = decide(BAKEOFF, "select", "northwind", "--reason", "cheap")
    assert exited.exit_code == 1 and "Vendor 'northwind' of bake-off" in exited.output
    assert "has left it: its trial helpdesk-2027q1-northwind is exiting" in exited.output
    no_vendor = decide(BAKEOFF, "select", "--reason", "r")
    assert no_vendor.exit_code == 1 and "select VENDOR --reason TEXT" in no_vendor.output

    chosen = decide(BAKEOFF, "select", "acme", "--reason", "met every expectation", "--by", "Dana")
    assert chosen.exit_code == 0, chosen.output
    assert "'acme' selected by Dana is recorded at selection:helpdesk-2027q1" in chosen.output
    again = decide(BAKEOFF, "select", "brightdesk", "--reason", "second thoughts")
    assert again.exit_code == 1
    assert "Bake-off 'helpdesk-2027q1' was selected already: acme by Dana" in again.output

    outcome = await bakeoff(BAKEOFF, decisions="auto", wait_seconds=30)
    assert outcome == "acme: waiting, brightdesk: closed, northwind: closed"
    with read_session(settings) as session:
        phases = {t.slug: (t.phase, t.engagement) for t in session.exec(select(Trial)).all()}
        reasons = session.exec(select(Decision.reason).where(col(Decision.gate).startswith("eval")))
        recorded = list(reasons)
    assert phases[f"{BAKEOFF}-acme"] == ("evaluating", 2)
    assert (
        sum(r.startswith("selection:helpdesk-2027q1: acme selected by Dana") for r in recorded) == 2
    )
    for vendor in ("brightdesk", "northwind"):
        assert ledger(bases[vendor])["effects"]["exports"] == 1  # type: ignore[index]


@pytest.mark.postgres
@pytest.mark.e2e
async def test_kills_of_trials_bakeoff_mid_ladder_and_a_rerun_select_once_and_do_nothing_twice(
    settings: Settings, stored_bakeoff: StoreBakeoff, tmp_path: Path
) -> None:
    bases = stored_bakeoff(seconds_per_day=0.05)
    command = [str(Path(sys.executable).with_name("trials")), "bakeoff"]
    command += [str(tmp_path / "bakeoff.yaml"), "--auto", "--wait", "60"]
    env = os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }

    def engine() -> subprocess.Popen[str]:
        return subprocess.Popen(
            command, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )

    def rungs(status: str) -> Callable[[], bool]:
        def reached() -> bool:
            with read_session(settings) as session:
                found = session.exec(select(PilotTask).where(PilotTask.status == status))
                return len(list(found)) >= 2  # two vendors' rungs at once: mid-ladder

        return reached

    kills = [kill_when(engine(), point) for point in (rungs("submitted"), rungs("delivered"))]
    final = engine()
    output, _ = final.communicate(timeout=240)
    assert final.returncode == 0, output
    assert "Bake-off helpdesk-2027q1: acme: waiting, brightdesk: closed, northwind: closed" in (
        output
    )
    assert any(kills), kills  # the engine really died mid-ladder
    with read_session(settings) as session:
        row = get_bakeoff(session=session, bakeoff=BAKEOFF)
        chosen = session.exec(
            select(Decision.choice).where(col(Decision.reason).startswith("selection:"))
        ).all()
    assert row.selected == "acme" and sorted(chosen) == ["exit", "exit", "expand"]
    for vendor, base in bases.items():
        done = ledger(base)
        assert {r["creations"] for r in done["client_refs"].values()} == {1}, vendor  # type: ignore[attr-defined]
        assert done["effects"]["exports"] == (0 if vendor == "acme" else 1)  # type: ignore[index]
