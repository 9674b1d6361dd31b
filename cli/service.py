"""Running the engine as a service: a Prefect server and workers, the deployments, starting a
trial's deployment, and every trial's status with its latest run in the UI."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from config import get_settings
from config.prefect import prepare_prefect
from models.errors import TrialsError

if TYPE_CHECKING:
    from models.notify import Unsent
    from models.status import LatestRun

POOL = "trials"  # the process work pool prefect.yaml's deployments run on
# A flow run under a worker sends a heartbeat this often (seconds); a run that misses
# three is marked Crashed by the automation `trials deploy` creates, so the monitor's
# next start of the trial is not held back by a run whose process died.
HEARTBEAT = "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"
HEARTBEAT_SECONDS = "30"
CRASH_DETECTION = "trials: crash runs that stopped sending heartbeats"
PROJECT = Path(__file__).resolve().parents[1]  # where prefect.yaml lives
START_SERVER = (
    "Start one with `trials server` (in its own terminal), then `export "
    "PREFECT_API_URL=http://127.0.0.1:4200/api` in this one"
)


def server(
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port of the API and the UI.")] = 4200,
) -> None:
    """Start a local Prefect server with its UI, analytics off; it runs until Ctrl-C.

    The UI talks to this server's own API at HOST:PORT, whatever PREFECT_API_URL says; set
    PREFECT_UI_API_URL to the address browsers use when the server is behind a proxy.
    """
    prepare_prefect(temporary_server=False)  # it becomes `prefect server start`
    api = f"http://{reachable_host(host)}:{port}/api"
    # Prefect's UI takes its API's address from PREFECT_UI_API_URL, else PREFECT_API_URL,
    # else port 4200: never from --port. Without this, `--port 4321` served a UI that
    # called port 4200.
    ui_api = os.environ.get("PREFECT_UI_API_URL") or os.environ.get("PREFECT_SERVER_UI_API_URL")
    if not ui_api:
        ui_api = os.environ["PREFECT_UI_API_URL"] = api
    typer.echo(
        f"Prefect's UI will be at {api.removesuffix('/api')}, calling its API at {ui_api}; "
        f"in the terminals that run `trials`, `export PREFECT_API_URL={api}`.",
        err=True,
    )
    _exec("server", "start", "--host", host, "--port", str(port))


def reachable_host(host: str) -> str:
    """The address, as written in a URL, at which other processes and browsers reach a
    server that listens on `host`.

    A server on every interface (0.0.0.0 or ::) is reached at this machine's name; an
    IPv6 address is bracketed.
    """
    import socket

    if host in {"0.0.0.0", "::", ""}:
        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


def worker(
    pool: Annotated[str, typer.Option(help="The work pool to take runs from.")] = POOL,
    limit: Annotated[
        int | None, typer.Option(min=1, help="At most this many runs at once.", show_default=False)
    ] = None,
) -> None:
    """Start a worker that runs the deployments' flow runs in processes, until Ctrl-C or SIGTERM.

    The runs use this shell's environment: TRIALS_DATABASE_URL, the vendors' tokens.
    """
    os.environ.setdefault(HEARTBEAT, HEARTBEAT_SECONDS)
    prepare_prefect()
    asyncio.run(_ensure_pool(pool))
    extra = [] if limit is None else ["--limit", str(limit)]
    # Prefect's worker stops on SIGTERM by interrupting itself with SIGINT. A shell starts a
    # background job (`trials worker &`) with SIGINT ignored, and exec keeps it ignored, so
    # such a worker went on polling after SIGTERM until it was killed. Take SIGINT back.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    _exec("worker", "start", "--pool", pool, "--type", "process", *extra)


def deploy() -> None:
    """Register prefect.yaml's deployments and schedules on the Prefect server.

    They are the trial, each phase, the hourly monitor, the carry-on that a vendor's
    webhook starts at once (its trigger an automation), and the weekly status report. An
    automation marks a run Crashed once it misses three heartbeats: its worker died. Others
    tell the people the settings and the open trials' plans name (notify:) when a trial
    needs them, is escalated, crosses a budget threshold or fails.
    """
    os.environ.setdefault(HEARTBEAT, HEARTBEAT_SECONDS)
    prepare_prefect()
    asyncio.run(_ensure_pool(POOL))
    done = subprocess.run(
        [_prefect(), "--no-prompt", "deploy", "--all"],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        raise TrialsError(
            "`prefect deploy --all` failed in the project's folder: "
            + " ".join(lines[-3:])
            + " Check prefect.yaml, then run `trials deploy` again."
        )
    asyncio.run(_ensure_crash_detection(3 * int(os.environ[HEARTBEAT])))
    from notifications.automations import deploy_notifications

    for line in asyncio.run(deploy_notifications(get_settings())):
        typer.echo(line)
    typer.echo(
        f"Registered the deployments of prefect.yaml on {_api_url()}, on the work pool "
        f"'{POOL}'. Start a worker with `trials worker`, then `trials start TRIAL`."
    )


def start(
    trial: Annotated[
        str, typer.Argument(help="The trial id.", metavar="TRIAL", show_default=False)
    ],
    auto: Annotated[
        bool,
        typer.Option("--auto", help="Decide gates by the recommendation instead of asking."),
    ] = False,
) -> None:
    """Start the trial's deployment on the Prefect server; a worker runs it.

    A second start while a run of the trial is under way makes no second run.
    """
    from models.phases import TERMINAL, Phase
    from store.bakeoffs import bakeoff_of, get_bakeoff
    from store.db import read_session
    from store.trials import get_trial

    with read_session(get_settings()) as session:
        phase = Phase(get_trial(session=session, slug=trial).phase)
        bakeoff = bakeoff_of(session=session, slug=trial)
        selecting = (
            bakeoff is not None and not get_bakeoff(session=session, bakeoff=bakeoff).selected
        )
    if phase in TERMINAL:
        raise TrialsError(f"Trial '{trial}' is {phase}: there is nothing left to run.")
    if auto and selecting:
        raise TrialsError(
            f"Trial '{trial}' is a vendor of bake-off '{bakeoff}', whose run carries every "
            "vendor: --auto would take the advice at every vendor's gates and at the "
            f"selection. Start it without --auto (`trials start {trial}`), or run the whole "
            f"bake-off on the advice with `trials bakeoff {bakeoff} --auto`."
        )
    prepare_prefect()
    asyncio.run(_require_server())
    from prefect.settings import PREFECT_UI_URL

    from tasks.deployments import start_trial_run

    run = asyncio.run(start_trial_run(trial, "auto" if auto else None))
    how = "is under way already" if run.under_way else "is scheduled"
    typer.echo(
        f"{run.name} {how} ({run.state}); a worker on the pool '{POOL}' runs it. See it at "
        f"{PREFECT_UI_URL.value()}/runs/flow-run/{run.id}"
    )


def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """Every trial: phase, rung, burn, what it waits for, and its latest run in the UI."""
    from cli.trial_views import status_table, unsent_lines
    from models.errors import SchemaMissingError
    from models.tables import utcnow
    from store.db import read_session
    from store.monitor import trial_statuses

    try:
        with read_session(get_settings()) as session:
            statuses = trial_statuses(session=session)
    except SchemaMissingError:
        statuses = []  # a fresh store: nothing created yet is no error
    runs: dict[str, LatestRun] = {}
    unsent: list[Unsent] = []
    note = None
    days = get_settings().notify_failures_days
    # Prefect is imported only to link the runs: with no server named, this stays a fast read.
    if not os.environ.get("PREFECT_API_URL"):
        note = "Runs are linked once PREFECT_API_URL points at a Prefect server."
    elif statuses:
        prepare_prefect()
        try:
            runs, unsent = asyncio.run(_from_prefect([s.slug for s in statuses], days))
        except TrialsError as exc:
            note = str(exc)
    if as_json:
        rows = [s.model_dump(mode="json") | _run_fields(runs.get(s.slug)) for s in statuses]
        typer.echo(json.dumps(rows, indent=2))
    else:
        status_table(statuses, runs, utcnow())
        unsent_lines(unsent, days)
    if note and statuses:
        typer.echo(note, err=True)


def _run_fields(run: LatestRun | None) -> dict[str, str | None]:
    """The latest run's address and state, as `trials status --json` gives them."""
    return {
        "latest_run": run.url if run else None,
        "latest_run_state": run.state if run else None,
    }


async def _from_prefect(slugs: list[str], days: int) -> tuple[dict[str, LatestRun], list[Unsent]]:
    """Each trial's latest run, and the notifications of the last `days` days that could
    not be sent, once the server answers."""
    import httpx
    from prefect.exceptions import PrefectHTTPStatusError

    from notifications.failures import unsent_notifications
    from tasks.status import latest_runs

    await _require_server()
    try:
        return await latest_runs(slugs), await unsent_notifications(slugs, days)
    except (httpx.HTTPError, PrefectHTTPStatusError) as exc:
        raise TrialsError(
            f"The Prefect server at {_api_url()} answered the read of runs and notifications "
            f"with {type(exc).__name__}; run the command again once it answers."
        ) from None


async def _require_server() -> None:
    """Refuse, saying how to start one, unless a Prefect server answers at PREFECT_API_URL."""
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise TrialsError(
            f"PREFECT_API_URL is not set, and this command needs a Prefect server. "
            f"{START_SERVER}, and run the command again."
        )
    async with get_client() as client:
        failure = await client.api_healthcheck()
    if failure is not None:
        raise TrialsError(
            f"No Prefect server answers at {_api_url()} ({type(failure).__name__}). "
            f"{START_SERVER}, and run the command again."
        )


async def _ensure_pool(name: str) -> None:
    """The process work pool, created if the server does not have it yet."""
    from prefect import get_client
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectAlreadyExists

    await _require_server()
    async with get_client() as client:
        try:
            await client.create_work_pool(WorkPoolCreate(name=name, type="process"))
        except ObjectAlreadyExists:
            pass


async def _ensure_crash_detection(silence: int) -> None:
    """The automation that marks a flow run Crashed after `silence` seconds without a heartbeat.

    Prefect's recipe for runs whose process died: without it, such a run stays Running,
    and `trials start` and the monitor take the trial for under way.
    """
    from datetime import timedelta

    from prefect.automations import Automation
    from prefect.client.schemas.objects import StateType
    from prefect.events.actions import ChangeFlowRunState
    from prefect.events.schemas.automations import EventTrigger, Posture
    from prefect.events.schemas.events import ResourceSpecification

    try:
        await Automation.aread(name=CRASH_DETECTION)
        return
    except ValueError:
        pass  # not there yet
    await Automation(
        name=CRASH_DETECTION,
        description="A flow run that stopped sending heartbeats lost its process.",
        trigger=EventTrigger(
            after={"prefect.flow-run.heartbeat"},
            expect={
                "prefect.flow-run.heartbeat",
                "prefect.flow-run.Completed",
                "prefect.flow-run.Failed",
                "prefect.flow-run.Cancelled",
                "prefect.flow-run.Crashed",
                "prefect.flow-run.Suspended",
            },
            match=ResourceSpecification({"prefect.resource.id": ["prefect.flow-run.*"]}),
            for_each={"prefect.resource.id"},
            posture=Posture.Proactive,
            threshold=1,
            within=timedelta(seconds=silence),
        ),
        actions=[
            ChangeFlowRunState(
                state=StateType.CRASHED,
                message=f"No heartbeat for {silence} s: the process running it stopped.",
            )
        ],
    ).acreate()


def _exec(*argv: str) -> None:
    """Replace this process with `prefect ARGV...`, so Ctrl-C and signals reach it."""
    sys.stdout.flush()
    os.execve(_prefect(), [_prefect(), *argv], os.environ.copy())


def _prefect() -> str:
    """The `prefect` command installed beside this Python."""
    beside = Path(sys.executable).with_name("prefect")
    found = str(beside) if beside.exists() else shutil.which("prefect")
    if found is None:
        raise TrialsError("The `prefect` command is not installed: run ./scripts/setup.sh.")
    return found


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return str(PREFECT_API_URL.value())
