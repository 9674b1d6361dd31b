"""Throughput: trials carried through the whole pipeline per minute by workers on a Prefect
server, against the same number of trials run in this one process, in the same run.

Starts a simulator per trial (reliable, poor and overrunner in turn), registers the
deployments with `trials deploy` on the server PREFECT_API_URL names, starts `--workers`
workers, starts every trial's deployment with the advice taken at each gate, and times
until every run has ended. Then runs as many new trials in this process (the demo's way)
against the same server, as the baseline. A PostgreSQL store (`--store`) is shared by the
workers' processes; the default is a SQLite file.

    PREFECT_API_URL=http://127.0.0.1:4200/api python bench/throughput.py --trials 6
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from uuid import UUID

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
EXAMPLE = ROOT / "examples" / "helpdesk-takeover.yaml"
PROFILES = ["reliable", "poor", "overrunner"]
TOKEN_VARIABLE = "TRIALS_BENCH_TOKEN"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=6, help="Trials of each way (1 to 100).")
    parser.add_argument("--workers", type=int, default=2, help="Workers (1 to 8).")
    parser.add_argument("--seconds-per-day", type=float, default=0.02)
    parser.add_argument("--store", help="A PostgreSQL URL for the store; a SQLite file if not.")
    args = parser.parse_args()
    if not 1 <= args.trials <= 100 or not 1 <= args.workers <= 8:
        sys.exit("error: give --trials 1 to 100 and --workers 1 to 8")
    if not os.environ.get("PREFECT_API_URL"):
        sys.exit(
            "error: PREFECT_API_URL is not set; start `trials server` (on PostgreSQL: set "
            "PREFECT_API_DATABASE_CONNECTION_URL for it) and export its URL"
        )
    data = Path(tempfile.mkdtemp(prefix="trials-throughput-"))
    os.environ |= {
        "TRIALS_DATA_DIR": str(data),
        "TRIALS_DATABASE_URL": args.store or f"sqlite:///{data / 'trials.db'}",
        TOKEN_VARIABLE: "sim-token",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
    }
    from config import get_settings
    from config.prefect import prepare_prefect
    from store.migrate import ensure_schema

    prepare_prefect(quiet_console=True)
    ensure_schema(get_settings())
    deployed = subprocess.run(
        [str(BIN / "trials"), "deploy"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if deployed.returncode != 0:
        sys.exit(f"error: `trials deploy` failed: {(deployed.stderr or deployed.stdout)[-300:]}")
    rows = [
        _by_workers(args.trials, args.workers, args.seconds_per_day),
        _in_process(args.trials, args.seconds_per_day),
    ]
    _print(rows, args.trials)


def _by_workers(
    count: int, workers: int, seconds_per_day: float
) -> tuple[str, float, Counter[str]]:
    """Start `count` trials' deployments and time until each run ends, with the workers."""
    from tasks.deployments import start_trial_run

    with ExitStack() as stack:
        slugs = _trials(stack, count, seconds_per_day, "w")
        started = [
            subprocess.Popen(
                [str(BIN / "trials"), "worker"],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            began = time.perf_counter()
            runs = [asyncio.run(start_trial_run(slug, "auto")).id for slug in slugs]
            asyncio.run(_until_ended(runs))
            seconds = time.perf_counter() - began
        finally:
            for worker in started:
                worker.terminate()
            for worker in started:
                worker.wait(timeout=60)
    return f"{workers} workers, a process per run", seconds, _phases(slugs)


def _in_process(count: int, seconds_per_day: float) -> tuple[str, float, Counter[str]]:
    """The baseline: as many trials run side by side in this process, as the demo does."""
    from flows.trial import trial

    async def all_of(slugs: list[str]) -> None:
        await asyncio.gather(*(trial(s, decisions="auto", wait_seconds=60) for s in slugs))

    with ExitStack() as stack:
        slugs = _trials(stack, count, seconds_per_day, "p")
        began = time.perf_counter()
        asyncio.run(all_of(slugs))
        seconds = time.perf_counter() - began
    return "this process, side by side", seconds, _phases(slugs)


async def _until_ended(runs: list[UUID]) -> None:
    from prefect import get_client

    async with get_client() as client:
        while True:
            states = [(await client.read_flow_run(run)).state for run in runs]
            if all(state is not None and state.is_final() for state in states):
                return
            await asyncio.sleep(1)


def _trials(stack: ExitStack, count: int, seconds_per_day: float, tag: str) -> list[str]:
    """`count` trials stored, each with a simulated vendor of its own, the profiles in turn."""
    from simulator.app import create_app
    from simulator.config import ProfileName, SimulatorConfig
    from simulator.serve import serve

    stamp = f"{tag}{int(time.time()) % 100000}"
    slugs = []
    for n in range(count):
        profile = PROFILES[n % len(PROFILES)]
        config = SimulatorConfig(
            profile=ProfileName(profile),
            seconds_per_day=seconds_per_day,
            idle_time_passes=False,
            token=os.environ[TOKEN_VARIABLE],
        )
        url = stack.enter_context(serve(create_app(config)))
        slugs.append(_store(url, f"bench-{stamp}-{n}-{profile}"))
    return slugs


def _store(url: str, slug: str) -> str:
    from config import get_settings
    from planfile import load_plan, require_valid
    from store.db import write_session
    from store.trials import create_trial

    settings = get_settings()
    text = EXAMPLE.read_text(encoding="utf-8").replace("http://127.0.0.1:8765", url)
    text = text.replace("trial: acme-helpdesk-2026q4", f"trial: {slug}")
    text = text.replace("name: Acme Managed Services", f"name: Vendor of {slug}")
    text = text.replace("{env: ACME_API_TOKEN}", f"{{env: {TOKEN_VARIABLE}}}")
    plan_file = settings.data_dir / f"{slug}.yaml"
    plan_file.write_text(text, encoding="utf-8")
    with write_session(settings) as session:
        create_trial(
            session=session,
            plan=require_valid(load_plan(plan_file, settings.policy)),
            actor="bench",
        )
    return slug


def _phases(slugs: list[str]) -> Counter[str]:
    from config import get_settings
    from store.db import read_session
    from store.trials import get_trial

    with read_session(get_settings()) as session:
        return Counter(get_trial(session=session, slug=slug).phase for slug in slugs)


def _print(rows: list[tuple[str, float, Counter[str]]], count: int) -> None:
    table = Table(title=f"{count} trials each way, the advice taken at every gate")
    for column in ("way", "wall", "trials per minute", "× the baseline", "where they ended"):
        table.add_column(
            column, justify="left" if column in ("way", "where they ended") else "right"
        )
    baseline = count / rows[-1][1]
    for way, seconds, phases in rows:
        rate = count / seconds * 60
        table.add_row(
            way,
            f"{seconds:.1f} s",
            f"{rate:.1f}",
            f"{rate / (baseline * 60):.2f}",
            ", ".join(f"{phase} {n}" for phase, n in sorted(phases.items())),
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
