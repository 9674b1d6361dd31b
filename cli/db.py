"""`trials db`: create, upgrade and inspect the state store's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from config import Settings, get_settings

app = typer.Typer(
    help="Create, upgrade and inspect the state store's schema.", no_args_is_help=True
)


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.", metavar="REVISION")] = "head",
) -> None:
    """Create the tables, or upgrade them to the newest schema."""
    from store import migrate

    settings = get_settings()
    migrate.upgrade(revision, settings)
    _report(settings)


@app.command()
def downgrade(
    revision: Annotated[
        str,
        typer.Argument(
            help="Target revision; 'base' drops every table.",
            metavar="REVISION",
            show_default=False,
        ),
    ],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask before dropping data.")] = False,
) -> None:
    """Take the schema back to an older revision; the data in dropped tables is lost."""
    from store import migrate

    settings = get_settings()
    if not yes:
        typer.confirm(
            f"Downgrade {settings.store_url} to {revision}? Tables dropped on the way "
            "lose their data",
            abort=True,
        )
    migrate.downgrade(revision, settings)
    _report(settings)


@app.command()
def current() -> None:
    """Print the store's URL and schema revision."""
    _report(get_settings())


def _report(settings: Settings) -> None:
    from store import migrate

    revision = migrate.current(settings) or "none (run `trials db upgrade`)"
    typer.echo(f"{settings.store_url}: revision {revision}, newest {migrate.head()}")
