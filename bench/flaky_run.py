"""Work-item creations against the flaky simulator: how many attempts and retries, how long,
and proof from the vendor's ledger that nothing was created twice.

    python bench/flaky_run.py --creations 200 --concurrency 20 --fault-rate 0.25
"""

from __future__ import annotations

import argparse
import asyncio
import time

import httpx
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from adapters.contract import WorkItemCreate
from adapters.http import CallStats
from adapters.work_api import VendorClient
from config import Settings
from simulator.app import create_app
from simulator.config import ProfileName, SimulatorConfig
from simulator.serve import serve


async def create_all(base_url: str, args: argparse.Namespace) -> tuple[list[str], CallStats]:
    """Create the work items, `concurrency` at a time, each with its own idempotency key."""
    settings = Settings(
        vendor_read_timeout=args.read_timeout,
        vendor_max_attempts=10,
        vendor_backoff_initial=0.05,
        vendor_backoff_max=1.0,
    )
    gate = asyncio.Semaphore(args.concurrency)

    async def create(client: VendorClient, n: int) -> str:
        item = WorkItemCreate(
            client_ref=f"bench:e1:rung-{n}",
            trial="bench",
            title=f"Task {n}",
            hours={"engineer": 8},
            rates={"engineer": 95},
            currency="USD",
            due_in_days=5,
        )
        async with gate:
            return (await client.ensure_work_item(item, key=f"bench:e1:rung-{n}:work-item")).id

    async with VendorClient(
        vendor="flaky", base_url=base_url, token=SecretStr("sim-token"), settings=settings
    ) as client:
        ids = await asyncio.gather(*(create(client, n) for n in range(args.creations)))
        return list(ids), client.stats


def main() -> None:
    """Run, then print what was measured."""
    parser = argparse.ArgumentParser(description="Work-item creations against a flaky vendor.")
    parser.add_argument("--creations", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--fault-rate", type=float, default=0.25)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--read-timeout", type=float, default=1.0, help="client, seconds")
    parser.add_argument("--hang", type=float, default=2.0, help="a timed-out answer's delay")
    args = parser.parse_args()
    config = SimulatorConfig(
        profile=ProfileName.FLAKY,
        seed=args.seed,
        fault_rate=args.fault_rate,
        slow_seconds=(0.2, 0.5),
        timeout_seconds=args.hang,
    )
    with serve(create_app(config)) as base_url:
        started = time.perf_counter()
        ids, stats = asyncio.run(create_all(base_url, args))
        elapsed = time.perf_counter() - started
        ledger = httpx.get(f"{base_url}/admin/ledger").json()
    refs = ledger["client_refs"].values()
    table = Table(
        title=f"{args.creations} creations, {args.concurrency} at a time, "
        f"fault rate {args.fault_rate:.0%}, seed {args.seed}"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for name, value in [
        ("work items the client got (distinct)", len(set(ids))),
        ("work items the vendor created (ledger)", ledger["effects"].get("work_items", 0)),
        ("most creations for one client ref", max(r["creations"] for r in refs)),
        (
            "POSTs replayed by key after a lost answer",
            sum(1 for e in ledger["keys"].values() if e["attempts"] > 1),
        ),
        ("calls", stats.calls),
        ("attempts", stats.attempts),
        ("retries", stats.retries),
        ("answers by status", ", ".join(f"{s}: {n}" for s, n in sorted(stats.statuses.items()))),
        ("wall time, s", f"{elapsed:.1f}"),
    ]:
        table.add_row(name, str(value))
    Console().print(table)


if __name__ == "__main__":
    main()
