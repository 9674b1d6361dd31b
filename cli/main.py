"""The `trials` command: thin typer commands over the store, the plan loader and the flows.

Read commands import neither Prefect nor anything heavy they do not use; each command
imports what it needs when it runs.
"""

from __future__ import annotations

import sys

import typer

from cli import db, plans, reads
from config import get_settings
from models.errors import TrialsError

app = typer.Typer(
    name="trials",
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
app.add_typer(db.app, name="db")

# Exit codes: 0 done, 1 refused (bad input or a domain error), 2 usage, 3 internal error.
INTERNAL_ERROR = 3


def main() -> None:
    """Entry point: domain errors become one paragraph and exit code 1, never a traceback."""
    try:
        app()
    except TrialsError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("Interrupted; nothing half-written was kept.", file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if get_settings().debug:
            raise
        print(f"Internal error: {type(exc).__name__}: {exc}. This is a bug in Vendor Trials; "
              "rerun with TRIALS_DEBUG=1 to see the traceback and report it.", file=sys.stderr)
        sys.exit(INTERNAL_ERROR)
