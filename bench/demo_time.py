"""How long `trials demo` takes from a cold start: a fresh store and a fresh Prefect home,
so Prefect's ephemeral API builds its database from nothing, as on a new machine.

    python bench/demo_time.py --runs 3
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


def one_run(cold: bool, home: Path) -> tuple[float, int, str]:
    """Seconds, exit code and the last line of one `trials demo` in fresh directories."""
    data = Path(tempfile.mkdtemp(prefix="trials-demo-data-"))
    env = os.environ | {"TRIALS_DATA_DIR": str(data)}
    env.pop("TRIALS_DATABASE_URL", None)
    env.pop("PREFECT_API_URL", None)
    if cold:
        home = Path(tempfile.mkdtemp(prefix="trials-demo-prefect-"))
    env["PREFECT_HOME"] = str(home)
    started = time.perf_counter()
    done = subprocess.run(
        [str(Path(sys.executable).parent / "trials"), "demo"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    errors = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if "Traceback" in line or " ERROR " in line or line.startswith("Error")
    ]
    return seconds, done.returncode, errors[0] if errors else ""


def main() -> None:
    """Time cold and warm runs and print the table."""
    parser = argparse.ArgumentParser(description="Time `trials demo`.")
    parser.add_argument("--runs", type=int, default=3, help="runs of each kind")
    args = parser.parse_args()
    warm_home = Path(tempfile.mkdtemp(prefix="trials-demo-prefect-warm-"))
    subprocess.run(  # warm: Prefect's database exists, as after a first run
        [str(Path(sys.executable).parent / "prefect"), "server", "database", "upgrade", "-y"],
        env=os.environ | {"PREFECT_HOME": str(warm_home)},
        capture_output=True,
        check=True,
    )
    table = Table(title=f"trials demo, {args.runs} runs each")
    for column in ("start", "median s", "min s", "max s", "exit codes", "errors printed"):
        table.add_column(column)
    kinds = (
        ("cold: new Prefect home, its database built first", True),
        ("warm: Prefect's database already built", False),
    )
    for kind, cold in kinds:
        runs = [one_run(cold, warm_home) for _ in range(args.runs)]
        seconds = [r[0] for r in runs]
        table.add_row(
            kind,
            f"{statistics.median(seconds):.1f}",
            f"{min(seconds):.1f}",
            f"{max(seconds):.1f}",
            ", ".join(str(r[1]) for r in runs),
            "; ".join(r[2] for r in runs if r[2]) or "none",
        )
    Console().print(table)


if __name__ == "__main__":
    main()
