"""How many task runs a trial makes, per phase: the demo's three trials (reliable, poor,
overrunner), run in this process on Prefect's temporary API, then every task run read back
from the API and counted by the phase flow that made it and by task name.

    python bench/task_runs.py                 # the table per phase
    python bench/task_runs.py --by-task       # and each task's count
    python bench/task_runs.py --json out.json # the counts, for comparing two commits
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHASES = ["trial", "onboarding", "ladder", "evaluation", "expansion", "exit"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds-per-day", type=float, default=0.02)
    parser.add_argument("--by-task", action="store_true", help="Print each task's count too.")
    parser.add_argument("--json", type=Path, help="Write the counts to this file.")
    args = parser.parse_args()
    if args.seconds_per_day <= 0:
        sys.exit("error: --seconds-per-day must be above 0")
    data = Path(tempfile.mkdtemp(prefix="trials-task-runs-"))
    os.environ["TRIALS_DATA_DIR"] = str(data)
    os.environ.pop("TRIALS_DATABASE_URL", None)
    os.environ.pop("PREFECT_API_URL", None)
    from config.prefect import prepare_prefect

    prepare_prefect(quiet_console=True)
    started = time.perf_counter()
    counts, slugs = asyncio.run(_count(args.seconds_per_day))
    seconds = time.perf_counter() - started
    _print(counts, slugs, args.by_task, seconds)
    if args.json:
        rows = {f"{phase}/{task}": n for (phase, task), n in sorted(counts.items())}
        args.json.write_text(json.dumps({"trials": len(slugs), "task_runs": rows}, indent=2))


async def _count(seconds_per_day: float) -> tuple[Counter[tuple[str, str]], list[str]]:
    """Run the demo's trials, then count their task runs by (phase flow, task name)."""
    from prefect import get_client

    from cli.demo import _run

    outcomes = await _run(seconds_per_day)
    slugs = [o.slug for o in outcomes]
    await asyncio.sleep(4)  # the temporary server records task runs in 2 s batches
    counts: Counter[tuple[str, str]] = Counter()
    async with get_client() as client:
        flows = {f.id: f.name for f in await client.read_flows()}
        phase_of = {}
        offset = 0
        while page := await client.read_flow_runs(limit=200, offset=offset):
            phase_of.update(
                {run.id: flows.get(run.flow_id, "?") for run in page if _of(run.name, slugs)}
            )
            offset += len(page)
        offset = 0
        while tasks := await client.read_task_runs(limit=200, offset=offset):
            for run in tasks:
                if run.flow_run_id in phase_of:  # a run of these trials, not an earlier one's
                    counts[phase_of[run.flow_run_id], run.task_key.rsplit("-", 1)[0]] += 1
            offset += len(tasks)
    return counts, slugs


def _of(name: str, slugs: list[str]) -> bool:
    """Whether a flow run's name (`<flow>-<trial>`) names one of these trials."""
    return any(name.endswith(f"-{slug}") for slug in slugs)


def _print(
    counts: Counter[tuple[str, str]], slugs: list[str], by_task: bool, seconds: float
) -> None:
    console = Console()
    per_phase: defaultdict[str, int] = defaultdict(int)
    for (phase, _), n in counts.items():
        per_phase[phase] += n
    table = Table(title=f"Task runs of {len(slugs)} trials (demo, {seconds:.0f} s)")
    for column in ("phase flow", "task runs", "per trial", "distinct tasks"):
        table.add_column(column, justify="left" if column == "phase flow" else "right")
    for phase in [*PHASES, *sorted(set(per_phase) - set(PHASES))]:
        if phase in per_phase:
            distinct = sum(1 for (p, _) in counts if p == phase)
            n = per_phase[phase]
            table.add_row(phase, str(n), f"{n / len(slugs):.1f}", str(distinct))
    total = sum(per_phase.values())
    table.add_row("all", str(total), f"{total / len(slugs):.1f}", str(len(counts)))
    console.print(table)
    if by_task:
        detail = Table(title="By task")
        for column in ("phase flow", "task", "task runs"):
            detail.add_column(column)
        for (phase, task), n in sorted(counts.items(), key=lambda kv: (kv[0][0], -kv[1])):
            detail.add_row(phase, task, str(n))
        console.print(detail)


if __name__ == "__main__":
    main()
