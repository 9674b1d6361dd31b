"""`trials db`: create, upgrade and inspect the state store's schema."""

from __future__ import annotations

from typing import Annotated

import typer

from config import get_settings

app = typer.Typer(
    help="Create, upgrade and inspect the state store's schema.", no_args_is_help=True
)


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Create the tables, or upgrade them to the newest schema."""
    from store import migrate

    settings = get_settings()
    migrate.upgrade(revision, settings)
    typer.echo(f"Store {settings.store_url} is at revision {migrate.current(settings)}.")


@app.command()
def downgrade(
    revision: Annotated[
        str, typer.Argument(help="Target revision; 'base' drops every table.", show_default=False)
    ],
) -> None:
    """Take the schema back to an older revision."""
    from store import migrate

    settings = get_settings()
    migrate.downgrade(revision, settings)
    typer.echo(f"Store {settings.store_url} is at revision {migrate.current(settings)}.")


@app.command()
def current() -> None:
    """Print the store's URL and schema revision."""
    from store import migrate

    settings = get_settings()
    revision = migrate.current(settings) or "none (run `trials db upgrade`)"
    typer.echo(f"{settings.store_url}: revision {revision}, newest {migrate.head()}")
