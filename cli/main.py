"""The `trials` command: thin typer commands over the store, the plan loader and the flows.

Read commands import neither Prefect nor anything heavy they do not use; each command
imports what it needs when it runs.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from cli import (
    bakeoff,
    db,
    decide,
    demo,
    direct,
    exit_check,
    plans,
    reads,
    reports,
    rescore,
    review,
    run,
    service,
    simulator,
    vendor_check,
    webhooks,
)
from config import get_settings
from models.errors import TrialsError

# Exit codes: 0 done, 1 refused (bad input or a domain error), 2 usage, 3 internal error.
REFUSED = 1
INTERNAL_ERROR = 3


class TrialsGroup(TyperGroup):
    """Turns domain errors into one paragraph and exit code 1, never a traceback."""

    def invoke(self, ctx: typer.Context) -> Any:  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except TrialsError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(REFUSED) from None
        except (typer.Exit, typer.Abort, typer.TyperException):  # usage errors: exit 2
            raise
        except Exception as exc:
            if get_settings().debug:
                raise
            typer.echo(
                f"Internal error: {type(exc).__name__}: {exc}. This is a bug in Vendor "
                "Trials; rerun with TRIALS_DEBUG=1 to see the traceback, and report it.",
                err=True,
            )
            raise typer.Exit(INTERNAL_ERROR) from None


app = typer.Typer(
    name="trials",
    cls=TrialsGroup,
    help="Run IT-outsourcing vendor trials: small projects first, exit prepared from day one.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.command()(plans.validate)
app.command()(plans.init)
app.command()(plans.create)
app.command("list")(reads.list_)
app.command()(reads.show)
app.command()(vendor_check.check_vendor)
app.command()(webhooks.webhooks)
app.command()(simulator.simulator)
app.command()(run.run)
app.command()(bakeoff.bakeoff)
app.command()(demo.demo)
app.command()(decide.decide)
app.command()(review.review)
app.command()(exit_check.exit_check)
app.command()(direct.direct)
app.command()(reports.budget)
app.command()(reports.report)
app.command()(rescore.rescore)
app.command()(service.server)
app.command()(service.worker)
app.command()(service.deploy)
app.command()(service.start)
app.command()(service.status)
app.add_typer(db.app, name="db")
