"""What one monitor round costs with N trials waiting on their vendors: nothing new, and a
share of them with news.

Seeds fresh stores (SQLite files, or with `--store` new databases on a PostgreSQL
server) with N trials (and N/10, the baseline in the same run) waiting
for their vendor's first rung, written as rows directly rather than by flows, each carried
on by the monitor an hour ago, with an older webhook and a timesheet line each. Gives
`--news-share` of them a webhook since. Then times the round's decision (the store's reads
for all trials, and the news rule) and one whole monitor round with advance="none" under
Prefect's temporary API (or the Prefect server PREFECT_API_URL names), and prints a table.
The decision must find exactly the trials given news, and the round must start no flow run.

    python bench/monitor_round.py 1000 --news-share 0.01
    PREFECT_API_URL=http://127.0.0.1:4200/api python bench/monitor_round.py 1000 \
        --store postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlmodel import col

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from config import Settings  # noqa: E402
from models.monitor import news  # noqa: E402
from models.phases import Phase  # noqa: E402
from models.plan import Plan  # noqa: E402
from models.tables import CostEntry, PilotTask, Trial, VendorEffect, WebhookEvent, utcnow  # noqa: E402
from planfile import load_plan, require_valid  # noqa: E402
from store.db import read_session, write_session  # noqa: E402
from store.directives import open_directives  # noqa: E402
from store.migrate import ensure_schema  # noqa: E402
from store.trials import create_trial  # noqa: E402
from store.watches import active_watches  # noqa: E402

EXAMPLE = ROOT / "examples" / "helpdesk-takeover.yaml"
SILENT, POLL = timedelta(hours=48), timedelta(hours=6)


def seed(settings: Settings, count: int, with_news: int) -> float:
    """Store `count` trials waiting on rung-1, the first `with_news` with a webhook since the
    monitor last carried them on; return the seconds it took."""
    base = require_valid(load_plan(EXAMPLE, settings.policy))
    now, started = utcnow(), time.perf_counter()
    ensure_schema(settings)
    with write_session(settings) as session:
        for i in range(count):
            vendor = base.vendor.model_copy(update={"name": f"Vendor {i % 50:03d}"})
            plan = Plan.model_validate(
                base.model_dump() | {"trial": f"trial-{i:05d}", "vendor": vendor.model_dump()}
            )
            create_trial(session=session, plan=plan, actor="bench")
        session.execute(
            sa.update(Trial).values(
                phase=Phase.PILOTING,
                waiting_for="vendor to deliver rung-1 (in_progress)",
                waiting_since=now - timedelta(minutes=59),
                carried_on_at=now - timedelta(hours=1),
            )
        )
        first = sa.select(PilotTask).where(
            col(PilotTask.rung_key) == base.pilot[0].id, col(PilotTask.engagement) == 1
        )
        rungs = session.scalars(first.order_by(col(PilotTask.trial_id))).all()
        sent = now - timedelta(hours=2)
        session.execute(
            sa.update(PilotTask)
            .where(col(PilotTask.id).in_([r.id for r in rungs]))
            .values(status="submitted", submitted_at=sent)
        )
        session.execute(
            sa.insert(VendorEffect),
            [
                {
                    "trial_id": r.trial_id,
                    "key": r.idempotency_key,
                    "kind": "work-item",
                    "request_json": "{}",
                    "status": "done",
                    "completed_at": sent,
                }
                for r in rungs
            ],
        )
        session.execute(
            sa.insert(CostEntry),
            [
                {
                    "trial_id": r.trial_id,
                    "pilot_task_id": r.id,
                    "kind": "timesheet",
                    "amount": Decimal("95.00"),
                    "currency": "USD",
                    "incurred_on": date.today(),
                    "idempotency_key": f"{r.idempotency_key}:ts",
                }
                for r in rungs
            ],
        )
        webhooks = [(i, now - timedelta(hours=3)) for i in range(count)]
        webhooks += [(i, now - timedelta(minutes=10)) for i in range(with_news)]
        session.execute(
            sa.insert(WebhookEvent),
            [
                {
                    "webhook_id": f"wh-{n}",
                    "vendor": "acme",
                    "type": "work_item.updated",
                    "trial": f"trial-{i:05d}",
                    "subject": "rung-1",
                    "body_sha256": "0" * 64,
                    "payload": "{}",
                    "occurred_at": at,
                    "received_at": at,
                }
                for n, (i, at) in enumerate(webhooks)
            ],
        )
    return time.perf_counter() - started


def decide(settings: Settings) -> tuple[float, int, int, int, int]:
    """Time the round's decision: seconds, active trials, trials with news, how many the
    monitor before this change would have started (every trial not waiting for a person),
    and the vendor requests the round makes (one per open directive, asking its answer)."""
    started = time.perf_counter()
    now = utcnow()
    with read_session(settings) as session:
        watches = active_watches(session=session)
    found = [w for w in watches if news(w, now, SILENT, POLL)]
    seconds = time.perf_counter() - started
    with read_session(settings) as session:
        asks = len(open_directives(session=session))
    return seconds, len(watches), len(found), sum(w.can_advance for w in watches), asks


def peak_mib(settings: Settings) -> float:
    """The decision's peak of Python allocations, in MiB."""
    tracemalloc.start()
    decide(settings)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2**20


async def flow_round(settings: Settings) -> tuple[float, int, dict[str, int]]:
    """Time one monitor round with advance="none": seconds, flow runs it started besides
    its own, and what it returned."""
    from prefect import get_client

    from flows.monitor import monitor

    os.environ["TRIALS_DATABASE_URL"] = settings.database_url or ""
    async with get_client() as client:
        before = await client.count_flow_runs()
        started = time.perf_counter()
        result = await monitor(advance="none", silent_after_hours=SILENT.total_seconds() / 3600)
        seconds = time.perf_counter() - started
        after = await client.count_flow_runs()
    return seconds, after - before - 1, result


def new_store(server: str | None, workdir: Path, name: str) -> Settings:
    """A fresh store: a SQLite file in `workdir`, or a new database `name` on the PostgreSQL
    server at `server` (a URL of any database there, e.g. .../postgres)."""
    if server is None:
        return Settings(database_url=f"sqlite:///{workdir / f'{name}.db'}")
    url = make_url(server)
    database = f"trials_bench_{name.replace('-', '_')}_{os.getpid()}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}"'))
        connection.execute(sa.text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    return Settings(database_url=url.set(database=database).render_as_string(False))


def drop_store(server: str | None, settings: Settings) -> None:
    """Drop a PostgreSQL store made by `new_store` (a SQLite file goes with the workdir)."""
    if server is None:
        return
    from store.db import get_engine

    get_engine(settings).dispose()
    admin = sa.create_engine(make_url(server), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        database = make_url(settings.database_url or "").database
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


async def measure(
    sizes: list[int], share: float, workdir: Path, server: str | None
) -> list[list[str]]:
    """One row per store size and case: nothing new, then `share` of the trials with news.
    Times are medians of three."""
    from prefect import get_client

    async with get_client() as client:  # start Prefect's temporary API first
        await client.count_flow_runs()
    rows = []
    for size in sizes:
        for given in (0, max(1, round(size * share))):
            settings = new_store(server, workdir, f"{size}-{given}")
            seed(settings, size, given)
            decisions = [decide(settings) for _ in range(3)]
            seconds, active, found, before, asks = decisions[0]
            assert found == given, f"{found} trials with news found, {given} given"
            rounds = [await flow_round(settings) for _ in range(3)]
            runs = sum(r[1] for r in rounds)
            assert runs == 0 and all(r[2]["active"] == active for r in rounds)
            rows.append(
                [f"{size:,}", f"{given}", f"{statistics.median(d[0] for d in decisions):.3f}"]
                + [f"{statistics.median(r[0] for r in rounds):.2f}", f"{found}", f"{before:,}"]
                + [f"{runs}", f"{asks}", f"{peak_mib(settings):.1f}"]
            )
            drop_store(server, settings)
    return rows


def main() -> None:
    """Seed, time, and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trials", type=int, help="trials waiting on their vendor (N)")
    parser.add_argument("--news-share", type=float, default=0.01, help="share with news")
    parser.add_argument(
        "--store",
        metavar="URL",
        help="a PostgreSQL server's URL (any database on it): each store is a new database "
        "there, dropped afterwards; default: SQLite files",
    )
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="trials-monitor-"))
    os.environ["TRIALS_DATA_DIR"] = str(workdir)
    from config.prefect import prepare_prefect

    prepare_prefect(quiet_console=True)
    sizes = [max(1, args.trials // 10), args.trials]
    rows = asyncio.run(measure(sizes, args.news_share, workdir, args.store))
    store = "SQLite" if args.store is None else "PostgreSQL"
    api = os.environ.get("PREFECT_API_URL") or "Prefect's temporary API"
    table = Table(
        title=f"monitor round, store on {store}, {api}, N/10 and N = {args.trials:,} waiting trials"
    )
    columns: tuple[str, ...] = ("N", "with news", "decision s", "round s", "news found")
    columns += ("old: runs", "runs started", "vendor requests", "peak MiB")
    for column in columns:
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(*row)
    Console().print(table)
    Console().print(
        "decision: the store's reads for all trials and the news rule (news found = runs "
        "that would start); round: the monitor flow with advance=none (runs started: by "
        "the three rounds, besides their own); old: the runs the monitor started before it "
        "looked for news; vendor requests: one per open directive; peak: the decision's "
        "Python allocations"
    )


if __name__ == "__main__":
    main()
