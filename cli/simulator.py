"""The `trials simulator` command: serve a simulated vendor on accelerated time."""

from __future__ import annotations

from typing import Annotated

import typer

from models.errors import TrialsError

PROFILE_HELP = "reliable, overrunner, poor, flaky, ghost or hostile-exit."


def simulator(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8765,
    profile: Annotated[str, typer.Option(help=f"How the vendor behaves: {PROFILE_HELP}")] = (
        "reliable"
    ),
    seed: Annotated[int, typer.Option(help="Seed of every random choice.")] = 7,
    seconds_per_day: Annotated[float, typer.Option(help="Real seconds per simulated day.")] = 1.0,
    token: Annotated[str, typer.Option(help="Bearer token the API accepts.")] = "sim-token",
    webhook_url: Annotated[
        str | None, typer.Option(help="Where to POST signed webhook events.")
    ] = None,
    webhook_secret: Annotated[
        str | None, typer.Option(help="Standard Webhooks secret, whsec_<base64>.")
    ] = None,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Serve the Vendor Work API as a simulated vendor, for demos and tests offline."""
    import uvicorn
    from pydantic import ValidationError

    from simulator.app import create_app
    from simulator.config import ProfileName, SimulatorConfig

    if profile not in {p.value for p in ProfileName}:
        raise TrialsError(f"Unknown simulator profile {profile!r}; choose one of {PROFILE_HELP}")
    try:
        config = SimulatorConfig(
            profile=ProfileName(profile),
            seed=seed,
            seconds_per_day=seconds_per_day,
            token=token,
            webhook_url=webhook_url,
            webhook_secret=webhook_secret,
        )
    except ValidationError as exc:
        problems = "; ".join(_describe(e["loc"], e["msg"]) for e in exc.errors())
        raise TrialsError(f"Invalid simulator options: {problems}.") from None
    typer.echo(
        f"Simulated vendor ({profile}, seed {seed}) on http://{host}:{port}/v1, "
        f"{seconds_per_day:g} s per day. Ctrl+C stops it."
    )
    uvicorn.run(create_app(config), host=host, port=port, log_level="warning")


def _describe(loc: tuple[int | str, ...], message: str) -> str:
    where = "--" + "-".join(str(part) for part in loc).replace("_", "-") if loc else ""
    message = message.removeprefix("Value error, ")
    return f"{where}: {message}" if where else message
