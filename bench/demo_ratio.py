"""`trials demo` against a trivial flow of 20 tasks, both on Prefect's temporary API, in the
same run: each a new process on the same warm Prefect home (its database already built),
taken in turns so that a busy machine slows both alike. Prints the medians and their ratio,
and where each process's time went: until Prefect's temporary server answers (the first
line each prints once its flows start), its flows, and after them until the process ends.

    python bench/demo_ratio.py --runs 3
    python bench/demo_ratio.py --runs 3 --checkout before=../before   # an earlier commit too

`--checkout LABEL=DIR` adds `trials demo` as the checkout in DIR has it (a git worktree of
an earlier commit, say), run with this environment's packages, in the same turns.
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

BIN = Path(sys.executable).parent
TRIVIAL = """
import asyncio
from prefect import flow, task

@task
async def step(i: int) -> int:
    return i

@flow
async def trivial() -> int:
    print("flows start", flush=True)
    done = sum([await step(i) for i in range(20)])
    print("flows done", flush=True)
    return done

asyncio.run(trivial())
"""


# The lines that end the process's phases: its flows start (the server answers), then end.
MARKS = {
    "flows start": ("flows start", "Running the three trials"),
    "flows done": ("flows done", "Demo: 3 trials in"),
}


def one_run(argv: list[str], home: Path, source: Path | None = None) -> dict[str, float]:
    """Seconds from the start of one process, in a fresh store, to each of its marks and to
    its end ("end"); exits the bench if it fails."""
    data = Path(tempfile.mkdtemp(prefix="trials-ratio-data-"))
    env = os.environ | {
        "TRIALS_DATA_DIR": str(data),
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PYTHONUNBUFFERED": "1",  # each line as it is printed, for the phases' times
    }
    if source is not None:  # its modules before the installed checkout's
        env["PYTHONPATH"] = str(source)
    env.pop("TRIALS_DATABASE_URL", None)
    env.pop("PREFECT_API_URL", None)
    started, seen, lines = time.perf_counter(), {}, []
    with subprocess.Popen(
        argv, env=env, cwd=source, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            for mark, texts in MARKS.items():
                if mark not in seen and any(text in line for text in texts):
                    seen[mark] = time.perf_counter() - started
    seen["end"] = time.perf_counter() - started
    if process.returncode != 0 or len(seen) != len(MARKS) + 1:
        tail = "".join(lines).strip().splitlines()[-1:]
        sys.exit(f"error: {' '.join(argv[:2])} exited {process.returncode}: {' '.join(tail)}")
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="Runs of each (1 to 20).")
    parser.add_argument(
        "--checkout",
        action="append",
        default=[],
        metavar="LABEL=DIR",
        help="Also time `trials demo` from the checkout in DIR, shown as LABEL.",
    )
    args = parser.parse_args()
    if not 1 <= args.runs <= 20:
        sys.exit(f"error: --runs is {args.runs}; give 1 to 20")
    checkouts = dict(_checkout(given) for given in args.checkout)
    home = Path(tempfile.mkdtemp(prefix="trials-ratio-prefect-"))
    subprocess.run(  # warm: Prefect's database exists, as after a first run
        [str(BIN / "prefect"), "server", "database", "upgrade", "-y"],
        env=os.environ | {"PREFECT_HOME": str(home)},
        capture_output=True,
        check=True,
    )
    commands: dict[str, tuple[list[str], Path | None]] = {
        "a trivial flow of 20 tasks": ([sys.executable, "-c", TRIVIAL], None),
        "trials demo": ([str(BIN / "trials"), "demo"], None),
    }
    for label, folder in checkouts.items():
        commands[f"trials demo, {label}"] = (
            [sys.executable, "-c", "from cli.main import app; app()", "demo"],
            folder,
        )
    times: dict[str, list[dict[str, float]]] = {name: [] for name in commands}
    for _ in range(args.runs):
        for name, (argv, source) in commands.items():
            times[name].append(one_run(argv, home, source))
    Console().print(_table(times, args.runs))


def _checkout(given: str) -> tuple[str, Path]:
    """LABEL=DIR, checked: DIR holds this project's command line."""
    label, _, folder = given.partition("=")
    source = Path(folder).resolve()
    if not label or not (source / "cli" / "main.py").is_file():
        sys.exit(f"error: --checkout {given}: give LABEL=DIR, DIR a checkout of this project")
    return label, source


def _table(times: dict[str, list[dict[str, float]]], runs: int) -> Table:
    """The medians per process, its ratio to the trivial flow, and its phases' medians."""

    def median(name: str, mark: str, since: str | None = None) -> float:
        return statistics.median(run[mark] - (run[since] if since else 0.0) for run in times[name])

    baseline = median("a trivial flow of 20 tasks", "end")
    table = Table(title=f"trials demo against a trivial flow, {runs} runs each, in turns")
    columns = ("process", "median", "min", "max", "× the trivial flow")
    for column in (*columns, "server up", "flows", "after"):
        table.add_column(column, justify="left" if column == "process" else "right")
    for name, runs_of in times.items():
        ends = [run["end"] for run in runs_of]
        table.add_row(
            name,
            f"{median(name, 'end'):.1f} s",
            f"{min(ends):.1f} s",
            f"{max(ends):.1f} s",
            f"{median(name, 'end') / baseline:.2f}",
            f"{median(name, 'flows start'):.1f} s",
            f"{median(name, 'flows done', 'flows start'):.1f} s",
            f"{median(name, 'end', 'flows done'):.1f} s",
        )
    return table


if __name__ == "__main__":
    main()
