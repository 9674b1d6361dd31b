"""What a Prefect task run costs on top of the work it wraps: the engine's own tasks, run as
task runs in a flow, against the same functions called bare (`.fn`) with asyncio, httpx and
the store, in the same process and the same run.

The work is one step of each kind a trial makes: a vendor call (`check_api`: the health
check and who-am-I, two requests to a simulator over a real socket) and a store write
(`save_intent`: an upsert in its own transaction). Each is timed N times one after the other,
and N at once (gathered), bare and as task runs; the overhead per task run is the
difference divided by N. Last, the store write as a sync task `.submit()`ted N times to
Prefect's thread pool, against the bare calls gathered.

    python bench/task_overhead.py 200
    PREFECT_API_URL=http://127.0.0.1:4200/api python bench/task_overhead.py 200
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLE = ROOT / "examples" / "helpdesk-takeover.yaml"
TOKEN = "sim-token"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="Calls of each kind per measurement (1 to 5000).")
    args = parser.parse_args()
    if not 1 <= args.n <= 5000:
        sys.exit(f"error: n is {args.n}; give 1 to 5000 calls")
    os.environ["TRIALS_DATA_DIR"] = tempfile.mkdtemp(prefix="trials-overhead-")
    os.environ.pop("TRIALS_DATABASE_URL", None)
    os.environ["TRIALS_BENCH_TOKEN"] = TOKEN
    from config.prefect import prepare_prefect, start_ephemeral_server

    prepare_prefect(quiet_console=True, temporary_server=False)  # started below, sooner
    start_ephemeral_server()
    rows = asyncio.run(_measure(args.n))
    _print(rows, args.n)


async def _measure(n: int) -> list[tuple[str, str, float, float]]:
    """(step, how, bare seconds, task-run seconds) for each step and each way of calling."""
    from prefect import flow, task
    from prefect.cache_policies import NO_CACHE
    from prefect.futures import wait

    from simulator.app import create_app
    from simulator.config import ProfileName, SimulatorConfig
    from simulator.serve import serve
    from store.db import write_session
    from store.effects import record_intent
    from tasks.trial_state import load_trial, save_intent
    from tasks.vendor import check_api

    config = SimulatorConfig(profile=ProfileName.RELIABLE, token=TOKEN, idle_time_passes=False)
    with serve(create_app(config)) as url:
        trial = await load_trial(_store_trial(url))
        calls: dict[str, Callable[[Any, int], Awaitable[Any]]] = {
            "vendor: 2 requests": lambda f, _: f(trial.vendor),
            "store: 1 upsert": lambda f, i: f(trial.trial_id, f"bench:{i}", "bench", "{}"),
        }
        steps: dict[str, Any] = {"vendor: 2 requests": check_api, "store: 1 upsert": save_intent}

        @flow(name="bench-task-overhead")
        async def as_task_runs(step: str, gathered: bool, offset: int) -> float:
            return await _time(steps[step], calls[step], n, gathered, offset)

        rows = []
        await as_task_runs("store: 1 upsert", False, 10 * n)  # warm both paths
        for step, function in steps.items():
            for gathered in (False, True):
                how = f"{n} gathered" if gathered else f"{n} in turn"
                bare = await _time(function.fn, calls[step], n, gathered, 0)
                orchestrated = await as_task_runs(step, gathered, n)
                rows.append((step, how, bare, orchestrated))

        @task(cache_policy=NO_CACHE)
        def save_intent_sync(trial_id: int, key: str) -> str:
            """`save_intent`'s write, as a sync task."""
            with write_session() as session:
                return record_intent(
                    session=session, trial_id=trial_id, key=key, kind="bench", request_json="{}"
                ).status

        @flow(name="bench-thread-pool")
        def submitted(offset: int) -> float:
            """The same upsert as a sync task, `.submit()`ted N times to the thread pool."""
            started = time.perf_counter()
            wait([save_intent_sync.submit(trial.trial_id, f"bench:{offset + i}") for i in range(n)])
            return time.perf_counter() - started

        bare = await _time(save_intent.fn, calls["store: 1 upsert"], n, True, 20 * n)
        threaded = await asyncio.to_thread(submitted, 30 * n)
        rows.append(("store: 1 upsert, sync task", f"{n} .submit() to threads", bare, threaded))
    return rows


async def _time(
    function: Callable[..., Awaitable[Any]],
    call: Callable[[Any, int], Awaitable[Any]],
    n: int,
    gathered: bool,
    offset: int,
) -> float:
    """Seconds for n calls, one after the other or all at once."""
    started = time.perf_counter()
    if gathered:
        await asyncio.gather(*(call(function, offset + i) for i in range(n)))
    else:
        for i in range(n):
            await call(function, offset + i)
    return time.perf_counter() - started


def _store_trial(url: str) -> str:
    """The example plan, its vendor the simulator at `url`, stored as a draft trial."""
    from config import get_settings
    from planfile import load_plan, require_valid
    from store.db import write_session
    from store.migrate import ensure_schema
    from store.trials import create_trial

    settings = get_settings()
    ensure_schema(settings)
    text = EXAMPLE.read_text(encoding="utf-8").replace("http://127.0.0.1:8765", url)
    text = text.replace("{env: ACME_API_TOKEN}", "{env: TRIALS_BENCH_TOKEN}")
    plan_file = settings.data_dir / "plan.yaml"
    plan_file.write_text(text, encoding="utf-8")
    plan = require_valid(load_plan(plan_file, settings.policy))
    with write_session(settings) as session:
        create_trial(session=session, plan=plan, actor="bench")
    return plan.trial


def _print(rows: list[tuple[str, str, float, float]], n: int) -> None:
    from prefect.settings import PREFECT_API_URL

    api = "a Prefect server" if PREFECT_API_URL.value() else "Prefect's temporary API"
    table = Table(title=f"Task-run overhead, on {api}")
    for column in ("step", "calls", "bare", "as task runs", "ratio", "overhead per task run"):
        table.add_column(column, justify="left" if column in ("step", "calls") else "right")
    for step, how, bare, orchestrated in rows:
        table.add_row(
            step,
            how,
            f"{bare:.2f} s",
            f"{orchestrated:.2f} s",
            f"{orchestrated / bare:.1f}×",
            f"{1000 * (orchestrated - bare) / n:.1f} ms",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
