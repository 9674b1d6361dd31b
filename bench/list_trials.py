"""How fast `trials list` answers with many trials stored.

Seeds a fresh store with N trials (from an example plan, renamed), then runs the real
`trials` command R times in new processes and prints the timings. The target is a
median under 0.3 s for 1,000 trials on a 2-core machine.

    python bench/list_trials.py --trials 1000 --runs 15
    python bench/list_trials.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from config import Settings
from models.plan import Plan
from planfile import load_plan, require_valid
from store.db import write_session
from store.migrate import ensure_schema
from store.trials import create_trial

EXAMPLE = Path(__file__).parent.parent / "examples" / "helpdesk-takeover.yaml"


def seed(settings: Settings, count: int, vendors: int) -> float:
    """Store `count` trials spread over `vendors` vendors; return the seconds it took."""
    base = require_valid(load_plan(EXAMPLE, settings.policy))
    started = time.perf_counter()
    ensure_schema(settings)
    with write_session(settings) as session:
        for i in range(count):
            vendor = base.vendor.model_copy(update={"name": f"Vendor {i % vendors:03d}"})
            plan = Plan.model_validate(
                base.model_dump() | {"trial": f"trial-{i:05d}", "vendor": vendor.model_dump()}
            )
            create_trial(session=session, plan=plan, actor="bench")
    return time.perf_counter() - started


def time_command(argv: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """Wall-clock seconds of `runs` fresh processes of `argv`."""
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
        timings.append(time.perf_counter() - started)
    return timings


def main() -> None:
    """Seed, time, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=1000, help="trials to store")
    parser.add_argument("--vendors", type=int, default=50, help="vendors they spread over")
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument("--database-url", help="store to use (default: a fresh SQLite file)")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="trials-bench-")
    url = args.database_url or f"sqlite:///{Path(workdir) / 'trials.db'}"
    settings = Settings(database_url=url)
    seconds = seed(settings, args.trials, args.vendors)
    env = os.environ | {"TRIALS_DATABASE_URL": url}
    trials = str(Path(sys.executable).parent / "trials")
    commands = {
        "python -c pass (interpreter start)": [sys.executable, "-c", "pass"],
        "trials list (table, newest 50)": [trials, "list"],
        "trials list --limit 0 (table, all)": [trials, "list", "--limit", "0"],
        "trials list --json (all)": [trials, "list", "--json"],
    }

    table = Table(title=f"{args.trials} trials, {args.runs} runs each, store {url.split(':')[0]}")
    for column in ("command", "median s", "p90 s", "min s", "max s"):
        table.add_column(column, justify="left" if column == "command" else "right")
    for name, argv in commands.items():
        t = sorted(time_command(argv, args.runs, env))
        p90 = t[min(len(t) - 1, round(0.9 * (len(t) - 1)))]
        table.add_row(
            name, f"{statistics.median(t):.3f}", f"{p90:.3f}", f"{t[0]:.3f}", f"{t[-1]:.3f}"
        )
    console = Console()
    console.print(f"seeded {args.trials} trials in {seconds:.1f} s")
    console.print(table)


if __name__ == "__main__":
    main()
