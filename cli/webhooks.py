"""`trials webhooks`: run the receiver for the vendors' signed webhooks."""

from __future__ import annotations

import signal
import sys
from typing import Annotated

import typer

from config import get_settings

SIGTERM_EXIT = 128 + signal.SIGTERM


def webhooks(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8780,
    host: Annotated[
        str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")
    ] = "127.0.0.1",
) -> None:
    """Receive the vendors' signed webhooks: record each once, then emit it as a Prefect event."""
    import uvicorn
    from prefect.settings import PREFECT_API_URL

    from store import migrate
    from webhooks.app import create_app
    from webhooks.events import connect
    from webhooks.verify import verifier

    settings = get_settings()
    verifier(settings.webhook_secret)  # without a usable secret every delivery would be a 503
    migrate.ensure_schema(settings)
    if not PREFECT_API_URL.value():
        typer.echo(
            "Warning: PREFECT_API_URL is not set, so the events go to a temporary Prefect "
            "server, started now and gone when this command stops. Point PREFECT_API_URL at "
            "the Prefect server that runs the flows.",
            err=True,
        )
    connect()
    # uvicorn re-raises SIGTERM after its graceful shutdown; as SystemExit it lets Prefect's
    # exit hooks send the queued events and stop a temporary server instead of orphaning it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(SIGTERM_EXIT))
    typer.echo(
        f"Receiving signed webhooks at http://{host}:{port}/webhooks/VENDOR, VENDOR being the "
        "vendor's name as `trials show TRIAL` prints it; Ctrl+C stops."
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="warning")
