"""`trials demo`: three simulated vendors through the whole pipeline, on the embedded defaults."""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from config import get_settings
from config.prefect import prepare_prefect, start_ephemeral_server
from models.errors import TrialsError

if TYPE_CHECKING:
    from store.outcomes import TrialOutcome

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "helpdesk-takeover.yaml"
# Each profile and what the demo shows with it.
CAST = {
    "reliable": "meets its expectations: expansion",
    "poor": "misses its targets: exit",
    "overrunner": "good work, 40% over: the budget gate",
}
TOKEN_VARIABLE = "TRIALS_DEMO_VENDOR_TOKEN"


def demo(
    seconds_per_day: Annotated[
        float, typer.Option(help="Real seconds per simulated day; smaller runs faster.")
    ] = 0.02,
    bakeoff: Annotated[
        bool,
        typer.Option(
            "--bakeoff",
            help="Run the three vendors in one bake-off on a shared ladder: one is "
            "selected and expands, the others exit.",
        ),
    ] = False,
) -> None:
    """Run a reliable, a poor and an overrunning simulated vendor through their trials."""
    from cli.demo_bakeoff import EXAMPLE as BAKEOFF_EXAMPLE
    from cli.demo_bakeoff import bakeoff_steps, run_bakeoff

    for example in (EXAMPLE, BAKEOFF_EXAMPLE):
        if not example.exists():
            raise TrialsError(
                f"The demo needs the example plans of a clone of the repository "
                f"({EXAMPLE.parent.name}/ beside the code); run it from a clone."
            )
    prepare_prefect(quiet_console=True, temporary_server=False)  # started below, sooner
    started = time.perf_counter()
    if bakeoff:
        outcomes = asyncio.run(run_bakeoff(seconds_per_day, TOKEN_VARIABLE))
    else:
        outcomes = asyncio.run(_run(seconds_per_day))
    _print(outcomes, time.perf_counter() - started)
    if bakeoff:
        typer.echo("\n".join(bakeoff_steps(outcomes)))


async def _run(seconds_per_day: float) -> list[TrialOutcome]:
    # Prefect's temporary server comes up in a thread from now on, while the flows are
    # imported and the simulators and the trials made ready (a task made with to_thread
    # would only start at the first await, after all of that).
    server = asyncio.get_running_loop().run_in_executor(None, start_ephemeral_server)
    from flows.trial import trial
    from simulator.app import create_app
    from simulator.config import ProfileName, SimulatorConfig
    from simulator.serve import serve
    from store.db import read_session
    from store.migrate import ensure_schema
    from store.outcomes import trial_outcome

    settings = get_settings()
    ensure_schema(settings)
    # The simulated vendors accept this token; the plans name the variable that holds it.
    os.environ.setdefault(TOKEN_VARIABLE, "sim-token")
    stamp = datetime.now(UTC).strftime("%m%d-%H%M%S")
    with ExitStack() as running, tempfile.TemporaryDirectory() as plans:
        slugs = {}
        for profile in CAST:
            url = running.enter_context(
                serve(
                    create_app(
                        SimulatorConfig(
                            profile=ProfileName(profile),
                            seconds_per_day=seconds_per_day,
                            # The dates of the demo's trials span only the vendors' work,
                            # so they stay within weeks of today.
                            idle_time_passes=False,
                            token=os.environ[TOKEN_VARIABLE],
                        )
                    )
                )
            )
            slugs[profile] = _store(Path(plans), profile, url, f"demo-{stamp}-{profile}")
            typer.echo(f"{profile:>10} vendor at {url}: trial {slugs[profile]}")
        await server
        typer.echo("Running the three trials; decisions follow the recommendations.")
        await asyncio.gather(
            *(trial(slug, decisions="auto", wait_seconds=60) for slug in slugs.values())
        )
    with read_session(settings) as session:
        return [
            trial_outcome(session=session, slug=slug, vendor=profile)
            for profile, slug in slugs.items()
        ]


def _store(folder: Path, profile: str, url: str, slug: str) -> str:
    """Store the helpdesk example as a new trial with this simulated vendor."""
    from planfile import load_plan, require_valid
    from store.db import write_session
    from store.trials import create_trial

    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("trial: acme-helpdesk-2026q4", f"trial: {slug}")
    text = text.replace(
        "name: Acme Managed Services", f"name: {profile.title()} Services (simulated)"
    )
    text = text.replace("http://127.0.0.1:8765", url)
    text = text.replace("{env: ACME_API_TOKEN}", f"{{env: {TOKEN_VARIABLE}}}")
    plan_file = folder / f"{profile}.yaml"
    plan_file.write_text(text, encoding="utf-8")
    settings = get_settings()
    plan = require_valid(load_plan(plan_file, settings.policy))
    with write_session(settings) as session:
        create_trial(session=session, plan=plan, actor=settings.actor)
    return slug


def _print(outcomes: list[TrialOutcome], seconds: float) -> None:
    from prefect.settings import PREFECT_API_URL, PREFECT_UI_URL

    from cli.demo_summary import print_summary
    from cli.render import console

    ui = (PREFECT_UI_URL.value() or None) if PREFECT_API_URL.value() else None
    reports = get_settings().data_dir / "reports"
    print_summary(console(), outcomes, seconds, reports, ui)
