"""`trials run`: carry a trial through its pipeline, from a plan file or a stored trial."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from config import get_settings
from config.prefect import prepare_prefect, start_ephemeral_server
from models.errors import TrialsError


def run(
    target: Annotated[
        str,
        typer.Argument(
            help="A plan file, or the id of a stored trial.",
            metavar="PLAN_OR_TRIAL",
            show_default=False,
        ),
    ],
    auto: Annotated[
        bool, typer.Option("--auto", help="Decide gates by the recommendation instead of asking.")
    ] = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for the vendor before leaving the trial waiting.")
    ] = 300.0,
) -> None:
    """Run a trial end to end, as far as it can go now; rerun it to carry on."""
    slug = _stored(Path(target)) if target.endswith((".yaml", ".yml")) else target
    prepare_prefect(quiet_console=True, temporary_server=False)  # started in _run, sooner
    outcome = asyncio.run(_run(slug, "auto" if auto else "ask", wait))
    typer.echo(f"Trial {slug}: {outcome}. `trials show {slug}` has the details.")


async def _run(slug: str, decisions: str, wait: float) -> str:
    """The trial flow, with a word to the terminal whenever it waits for a person."""
    # With no Prefect server named, the temporary one comes up while the flows are imported.
    server = asyncio.get_running_loop().run_in_executor(None, start_ephemeral_server)
    from flows.trial import trial

    await server
    watcher = asyncio.create_task(_tell_when_asked(slug))
    try:
        return await trial(slug, decisions=decisions, wait_seconds=wait)
    finally:
        watcher.cancel()


async def _tell_when_asked(slug: str) -> None:
    """Say so each time the trial starts waiting at a gate, and how to answer it."""
    from models.gate_kinds import kind_waiting_for

    told = None
    while True:
        await asyncio.sleep(1)
        waiting = await asyncio.to_thread(_waiting_for, slug)
        kind = kind_waiting_for(waiting)
        if kind is not None and waiting != told:
            typer.echo(
                f"Trial {slug} waits for a person: the {waiting}. Answer in the Prefect UI (the "
                f"paused run's form), or run `{kind.how_to_answer(slug)}` in another terminal. "
                "It waits an hour; after that, the answer is recorded for the next "
                "`trials run`.",
                err=True,
            )
        told = waiting


def _waiting_for(slug: str) -> str | None:
    from store.db import read_session
    from store.trials import get_trial

    with read_session(get_settings()) as session:
        return get_trial(session=session, slug=slug).waiting_for


def _stored(plan_file: Path) -> str:
    """The trial for a plan file: stored now, or before from the very same plan."""
    from planfile import load_plan, require_valid
    from store.db import read_session, write_session
    from store.migrate import ensure_schema
    from store.trials import create_trial, get_trial

    settings = get_settings()
    plan = require_valid(load_plan(plan_file, settings.policy))
    ensure_schema(settings)
    with read_session(settings) as session:
        try:
            stored = get_trial(session=session, slug=plan.trial)
        except TrialsError:
            stored = None
    if stored is not None:
        if stored.plan_json != plan.model_dump_json():
            raise TrialsError(
                f"Trial {plan.trial} is stored from a different version of "
                f"{plan_file}. Run it by id (`trials run {plan.trial}`) or give "
                "the changed plan a new trial id."
            )
        return plan.trial
    with write_session(settings) as session:
        create_trial(session=session, plan=plan, actor=settings.actor)
    return plan.trial
