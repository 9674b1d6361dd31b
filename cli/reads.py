"""Read commands: list trials and show one. They never import Prefect."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from config import get_settings
from models.errors import SchemaMissingError
from models.phases import Phase

TABLE_LIMIT = 50
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def list_(
    phase: Annotated[Phase | None, typer.Option(help="Only trials in this phase.")] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Show at most this many, newest first; 0 for all. "
            "[default: 50 in the table, all in --json]",
            show_default=False,
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """List the stored trials: phase, rung progress and budget."""
    from store.listing import TrialPage, list_trials

    if limit is None:
        limit = 0 if as_json else TABLE_LIMIT
    try:
        page = list_trials(get_settings().store_url, phase, limit or None)
    except SchemaMissingError:
        page = TrialPage(trials=[], total=0)  # a fresh store: nothing created yet is no error
    if as_json:
        typer.echo(json.dumps([t.model_dump(mode="json") for t in page.trials], indent=2))
        return
    from cli.trial_views import trials_table

    trials_table(page)


def show(
    trial: Annotated[
        str, typer.Argument(help="The trial id.", metavar="TRIAL", show_default=False)
    ],
    as_json: JsonOption = False,
) -> None:
    """Show one trial: vendor, rungs, expectations, exit steps and its audit log."""
    from store.db import read_session
    from store.trials import trial_detail

    with read_session(get_settings()) as session:
        detail = trial_detail(session=session, slug=trial)
    if as_json:
        typer.echo(detail.model_dump_json(indent=2))
        return
    from cli.trial_views import trial_panels

    trial_panels(detail)
