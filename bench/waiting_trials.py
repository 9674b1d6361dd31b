"""What trials waiting on their vendors cost: run N trials until each waits for a rung that
takes the vendor days, then count what is still held.

Each trial's run ends when its wait runs out, recording what it waits for; nothing should
be left running: no flow run, no process. Uses a fresh store, Prefect's temporary server
(or PREFECT_API_URL's), and one simulated vendor whose rungs take days.

    python bench/waiting_trials.py --trials 100 --concurrency 10
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def children() -> int:
    """How many processes this one has started that still run, besides Prefect's server."""
    mine = str(os.getpid())
    count = 0
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            parent = (proc / "stat").read_text().rsplit(")", 1)[1].split()[1]
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        count += parent == mine and "prefect.server.api.server" not in command
    return count


async def run(trials: int, concurrency: int, wait: float) -> dict[str, str]:
    """Store and run the trials; what is held once every run has ended."""
    from prefect import get_client
    from prefect.client.schemas import filters
    from prefect.client.schemas.objects import StateType

    from config import get_settings
    from flows.trial import trial
    from planfile import load_plan, require_valid
    from simulator.app import create_app
    from simulator.config import ProfileName, SimulatorConfig
    from simulator.serve import serve
    from store.db import read_session, write_session
    from store.migrate import ensure_schema
    from store.monitor import trial_statuses
    from store.trials import create_trial
    from tasks.status import latest_runs

    settings = get_settings()
    ensure_schema(settings)
    # A simulated day is ten real minutes: every first rung takes the vendor hours.
    app = create_app(SimulatorConfig(profile=ProfileName.RELIABLE, seconds_per_day=600))
    with serve(app) as url, tempfile.TemporaryDirectory() as folder:
        text = (ROOT / "examples" / "helpdesk-takeover.yaml").read_text()
        text = text.replace("http://127.0.0.1:8765", url)
        slugs = [f"waiting-{n:03d}" for n in range(trials)]
        for slug in slugs:
            plan_file = Path(folder) / f"{slug}.yaml"
            plan_file.write_text(text.replace("trial: acme-helpdesk-2026q4", f"trial: {slug}"))
            with write_session(settings) as session:
                plan = require_valid(load_plan(plan_file, settings.policy))
                create_trial(session=session, plan=plan, actor="bench")

        gate = asyncio.Semaphore(concurrency)

        async def one(slug: str) -> str:
            async with gate:
                return await trial(slug, decisions="auto", wait_seconds=wait)

        started = time.perf_counter()
        outcomes = await asyncio.gather(*(one(slug) for slug in slugs))
        seconds = time.perf_counter() - started

    async with get_client() as client:
        held = await client.count_flow_runs(
            flow_run_filter=filters.FlowRunFilter(
                state=filters.FlowRunFilterState(
                    type=filters.FlowRunFilterStateType(
                        any_=[StateType.RUNNING, StateType.PAUSED, StateType.PENDING]
                    )
                )
            )
        )
    with read_session(settings) as session:
        waiting = [s for s in trial_statuses(session=session) if s.waiting_for]
    # What `trials status` asks Prefect: each trial's run to link, timed over five rounds.
    lookups = []
    for _ in range(5):
        began = time.perf_counter()
        found = await latest_runs(slugs)
        lookups.append(time.perf_counter() - began)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "trials run": str(trials),
        "runs that ended 'waiting'": str(outcomes.count("waiting")),
        "trials waiting on their vendor (store)": str(
            sum(s.waiting_for.startswith("vendor") for s in waiting if s.waiting_for)
        ),
        "flow runs still running, pending or paused": str(held),
        "processes still held (besides Prefect's server)": str(children()),
        "wall time to bring them all to waiting": f"{seconds:.1f} s",
        "per trial": f"{seconds / trials:.2f} s",
        "trials status: runs found in Prefect": str(len(found)),
        "trials status: finding them (median of 5)": f"{statistics.median(lookups):.2f} s",
        "peak memory of this process": f"{peak_mib:.0f} MiB",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="What trials waiting on vendors hold.")
    parser.add_argument("--trials", type=int, default=100, help="how many trials")
    parser.add_argument("--concurrency", type=int, default=10, help="trials run at once")
    parser.add_argument("--wait", type=float, default=0.5, help="seconds each run waits")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="trials-waiting-"))
    os.environ["TRIALS_DATA_DIR"] = str(data)
    os.environ.pop("TRIALS_DATABASE_URL", None)
    os.environ.setdefault("ACME_API_TOKEN", "sim-token")
    from config.prefect import prepare_prefect

    prepare_prefect(quiet_console=True)
    figures = asyncio.run(run(args.trials, args.concurrency, args.wait))
    table = Table(title=f"{args.trials} trials waiting on their vendor")
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in figures.items():
        table.add_row(name, value)
    Console().print(table)


if __name__ == "__main__":
    main()
