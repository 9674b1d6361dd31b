"""`trials demo --bakeoff`: the demo's three simulated vendors in one bake-off on a shared
ladder, selected by the engine's advice; the others exit."""

from __future__ import annotations

import os
import shlex
import tempfile
from contextlib import AbstractContextManager, ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from config import get_settings
from config.prefect import start_ephemeral_server

if TYPE_CHECKING:
    from store.outcomes import TrialOutcome

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "bakeoffs" / "helpdesk.yaml"
# Each vendor of the example bake-off, the simulator profile it plays, and its address there.
CAST = {
    "acme": ("reliable", "http://127.0.0.1:8765", "ACME_API_TOKEN"),
    "brightdesk": ("poor", "http://127.0.0.1:8766", "BRIGHTDESK_API_TOKEN"),
    "northwind": ("overrunner", "http://127.0.0.1:8767", "NORTHWIND_API_TOKEN"),
}


async def run_bakeoff(seconds_per_day: float, token_variable: str) -> list[TrialOutcome]:
    """Serve the three simulators, store the example bake-off against them, and run it
    with the engine's advice at every gate; each vendor's outcome."""
    import asyncio

    # In a thread from now on, while the flows are imported and the vendors made ready.
    server = asyncio.get_running_loop().run_in_executor(None, start_ephemeral_server)
    from flows.bakeoff import bakeoff
    from store.db import read_session
    from store.migrate import ensure_schema
    from store.outcomes import trial_outcome

    settings = get_settings()
    ensure_schema(settings)
    os.environ.setdefault(token_variable, "sim-token")
    name = "demo-" + datetime.now(UTC).strftime("%m%d-%H%M%S")
    with ExitStack() as running, tempfile.TemporaryDirectory() as folder:
        text = EXAMPLE.read_text(encoding="utf-8").replace(
            "bakeoff: helpdesk-2027q1", f"bakeoff: {name}"
        )
        for vendor, (profile, address, variable) in CAST.items():
            url = running.enter_context(_simulator(profile, seconds_per_day, token_variable))
            text = text.replace(address, url).replace(variable, token_variable)
            typer.echo(f"{vendor:>10} plays the {profile} vendor at {url}")
        _store(Path(folder) / "bakeoff.yaml", text)
        await server
        typer.echo(f"Running bake-off {name}; the selection follows the engine's advice.")
        await bakeoff(name, decisions="auto", wait_seconds=60)
    with read_session(settings) as session:
        return [
            trial_outcome(session=session, slug=f"{name}-{vendor}", vendor=profile)
            for vendor, (profile, _, _) in CAST.items()
        ]


def bakeoff_steps(outcomes: list[TrialOutcome]) -> list[str]:
    """What to run next: the side-by-side report of the bake-off."""
    name = outcomes[0].slug.rsplit("-", 1)[0]
    return [
        "The bake-off's side-by-side report (HTML with its charts, and Markdown):",
        f"  trials report {shlex.quote(name)}",
    ]


def _simulator(
    profile: str, seconds_per_day: float, token_variable: str
) -> AbstractContextManager[str]:
    """A simulated vendor of that profile, served while the context is open."""
    from simulator.app import create_app
    from simulator.config import ProfileName, SimulatorConfig
    from simulator.serve import serve

    config = SimulatorConfig(
        profile=ProfileName(profile),
        seconds_per_day=seconds_per_day,
        idle_time_passes=False,  # the trials' dates span only the vendors' work
        token=os.environ[token_variable],
    )
    return serve(create_app(config))


def _store(plan_file: Path, text: str) -> None:
    """Write the bake-off plan and store it with its trials."""
    from planfile.bakeoff import load_bakeoff
    from store.bakeoffs import store_bakeoff
    from store.db import write_session

    plan_file.write_text(text, encoding="utf-8")
    settings = get_settings()
    report = load_bakeoff(plan_file, settings.policy)
    plans = report.plans()
    assert report.bakeoff is not None
    with write_session(settings) as session:
        store_bakeoff(
            session=session,
            bakeoff=report.bakeoff,
            title=report.bakeoff,
            plans=plans,
            actor=settings.actor,
        )
