"""Plan commands: write an example, validate plans, store one as a draft trial."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer

from config import get_settings
from models.errors import TrialsError

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def validate(
    plans: Annotated[
        list[Path],
        typer.Argument(help="Plan files to check.", metavar="PLAN...", show_default=False),
    ],
    as_json: JsonOption = False,
) -> None:
    """Check plans and bake-offs for vague expectations, poor budgets, missing exits and unfair
    comparisons; exit 1 if any fail."""
    from cli.bakeoff_views import bakeoff_json, print_bakeoff
    from cli.plan_views import print_report, report_json
    from cli.render import console
    from planfile.bakeoff import BakeoffReport, load_any

    policy = get_settings().policy
    reports = [load_any(plan, policy) for plan in plans]
    if as_json:
        shown = [
            bakeoff_json(r) if isinstance(r, BakeoffReport) else report_json(r) for r in reports
        ]
        typer.echo(json.dumps(shown, indent=2))
    else:
        for report in reports:
            if isinstance(report, BakeoffReport):
                print_bakeoff(console(), report)
            else:
                print_report(console(), report)
    if not all(r.ok for r in reports):
        raise typer.Exit(code=1)


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the plan.", metavar="PATH")] = Path(
        "trial.yaml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example plan to start from."""
    if path.exists() and not force:
        raise TrialsError(
            f"{path} already exists. Choose another path, or pass --force to overwrite it."
        )
    template = resources.files("cli").joinpath("templates/plan.yaml").read_text("utf-8")
    try:
        path.write_text(template, encoding="utf-8")
    except OSError as exc:
        raise TrialsError(f"Cannot write {path}: {exc.strerror}. Choose a writable path.") from None
    typer.echo(f"Wrote {path}. Edit it, then run `trials validate {path}`.")


def create(
    plan: Annotated[
        Path, typer.Argument(help="The plan file.", metavar="PLAN", show_default=False)
    ],
) -> None:
    """Validate a plan and store it as a draft trial."""
    from planfile import load_plan, require_valid
    from store.db import write_session
    from store.migrate import ensure_schema
    from store.trials import create_trial

    settings = get_settings()
    checked = require_valid(load_plan(plan, settings.policy))
    ensure_schema(settings)
    with write_session(settings) as session:
        trial = create_trial(session=session, plan=checked, actor=settings.actor)
        slug = trial.slug
    typer.echo(
        f"Stored trial {slug} as a draft: {len(checked.pilot)} rungs, "
        f"{len(checked.expectations)} expectations, {len(checked.exit_plan.steps)} "
        f"exit steps. See it with `trials show {slug}`."
    )
