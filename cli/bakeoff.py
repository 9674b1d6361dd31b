"""`trials bakeoff`: run a bake-off from its plan file, or carry a stored one on."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from config import get_settings
from config.prefect import prepare_prefect, start_ephemeral_server


def bakeoff(
    target: Annotated[
        str,
        typer.Argument(
            help="A bake-off plan file, or the id of a stored bake-off.",
            metavar="PLAN_OR_BAKEOFF",
            show_default=False,
        ),
    ],
    auto: Annotated[
        bool,
        typer.Option("--auto", help="Decide gates and the selection by the engine's advice."),
    ] = False,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for each vendor before leaving it waiting.")
    ] = 300.0,
) -> None:
    """Run every vendor's trial on the shared ladder, select one; rerun it to carry on."""
    name = _stored(Path(target)) if target.endswith((".yaml", ".yml")) else _known(target)
    prepare_prefect(quiet_console=True, temporary_server=False)  # started in _run, sooner
    outcome = asyncio.run(_run(name, "auto" if auto else "ask", wait))
    typer.echo(
        f"Bake-off {name}: {outcome}. `trials report {name}` writes the side-by-side report; "
        f"`trials decide {name} select VENDOR --reason TEXT` selects at its gate."
    )


async def _run(name: str, decisions: str, wait: float) -> str:
    """The bake-off flow; with no Prefect server named, the temporary one comes up while
    the flows are imported."""
    server = asyncio.get_running_loop().run_in_executor(None, start_ephemeral_server)
    from flows.bakeoff import bakeoff as bakeoff_flow

    await server
    return await bakeoff_flow(name, decisions=decisions, wait_seconds=wait)


def _known(name: str) -> str:
    """The id of a stored bake-off; a NotFoundError, before Prefect starts, if none."""
    from store.bakeoffs import get_bakeoff
    from store.db import read_session

    with read_session(get_settings()) as session:
        get_bakeoff(session=session, bakeoff=name)
    return name


def _stored(plan_file: Path) -> str:
    """The bake-off for a plan file: stored now, or before from the very same plan."""
    from planfile.bakeoff import load_bakeoff
    from store.bakeoffs import store_bakeoff
    from store.db import write_session
    from store.migrate import ensure_schema

    settings = get_settings()
    report = load_bakeoff(plan_file, settings.policy)
    plans = report.plans()
    assert report.bakeoff is not None  # a valid bake-off has its id
    first = next(iter(plans.values()))
    ensure_schema(settings)
    with write_session(settings) as session:
        store_bakeoff(
            session=session,
            bakeoff=report.bakeoff,
            title=first.title or report.bakeoff,
            plans=plans,
            actor=settings.actor,
        )
    return report.bakeoff
