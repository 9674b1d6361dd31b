"""The engine as a service: deployments from prefect.yaml, a worker, `trials start` and
`trials decide` against a Prefect server, and a trial suspended at a gate holding no process."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import httpx
import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterDeploymentId,
    FlowRunFilterName,
)
from prefect.client.schemas.objects import FlowRun
from prefect.settings import PREFECT_API_URL
from prefect.states import Completed
from sqlmodel import select

from config import Settings
from flows.monitor import monitor
from models.labels import trial_tag
from models.phases import Phase
from models.tables import Decision, PilotTask, Trial, Vendor
from store.db import read_session, write_session
from store.phases import change_phase
from tests.flows.conftest import StoreTrial, start_workers, stop_workers

pytestmark = pytest.mark.e2e

TRIALS = str(Path(sys.executable).with_name("trials"))
DEPLOYMENTS = {
    "trial/trials",
    "bakeoff/trials",
    "onboarding/trials",
    "ladder/trials",
    "evaluation/trials",
    "expansion/trials",
    "exit/trials",
    "monitor/trials",
    "carry-on/trials",
    "status-report/trials",
    "report/trials",
    "exit-check/trials",
    "exit-checks/trials",
}


def environment() -> dict[str, str]:
    """This test's store, vendor token and Prefect server, for commands run as processes."""
    return os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "ACME_API_TOKEN": "sim-token",  # the token the example plan names
    }


def trials(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TRIALS, *argv], env=environment(), capture_output=True, text=True, timeout=180
    )


@pytest.fixture(scope="module")
def deployed(prefect_api: None) -> Iterator[None]:
    """prefect.yaml's deployments, registered once for this module by `trials deploy`."""
    done = trials("deploy")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Registered the deployments of prefect.yaml" in done.stdout
    yield
    undeploy()


def undeploy() -> None:
    """Delete every deployment from the session's Prefect server, and so their triggers:
    the modules after this one see a server without deployments, as they expect (`trials
    decide` tells a server with the carry-on deployment, whose trigger starts runs)."""
    with get_client(sync_client=True) as client:
        for deployment in client.read_deployments():
            client.delete_deployment(deployment.id)


def start_worker() -> subprocess.Popen[bytes]:
    """`trials worker` on the pool, on this test's server."""
    [worker] = start_workers(environment())
    return worker


@pytest.fixture
def worker(deployed: None) -> Iterator[subprocess.Popen[bytes]]:
    """`trials worker` on the pool, for the length of the test."""
    process = start_worker()
    yield process
    stop_workers([process])


async def read_run(run_id: UUID) -> FlowRun:
    async with get_client() as client:
        return await client.read_flow_run(run_id)


async def run_reaches(
    run_id: UUID, state_name: str, timeout: float = 120, key: str | None = None
) -> FlowRun:
    """The run once in that state (suspended at the gate of that pause `key`, if given)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = await read_run(run_id)
        if run.state is not None and run.state.name == state_name:
            if key is None or run.state.state_details.pause_key == key:
                return run
        if run.state is not None and run.state.is_final():
            break
        time.sleep(0.5)
    raise AssertionError(f"the run never reached {state_name}: it is {run.state}")


def children(pid: int) -> list[str]:
    """The processes the worker has started and that still run."""
    listed = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "pid="], capture_output=True, text=True
    )
    return listed.stdout.split()


def no_children_within(pid: int, seconds: float) -> bool:
    """Whether every process this one started has ended within that many seconds."""
    deadline = time.monotonic() + seconds
    while children(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def descendants(pid: int) -> list[int]:
    """Every process under this one, children first."""
    found = [int(child) for child in children(pid)]
    return found + [grandchild for child in found for grandchild in descendants(child)]


def run_id_of(output: str) -> UUID:
    return UUID(output.strip().rsplit("/", 1)[-1])


async def test_deploy_registers_every_flow_with_the_monitor_hourly(deployed: None) -> None:
    async with get_client() as client:
        found = await client.read_deployments()
        names = {f"{(await client.read_flow(d.flow_id)).name}/{d.name}" for d in found}
        monitor = await client.read_deployment_by_name("monitor/trials")
    assert names == DEPLOYMENTS
    assert [s.schedule.cron for s in monitor.schedules] == ["0 * * * *"]  # type: ignore[union-attr]
    assert monitor.work_pool_name == "trials"


async def test_a_double_start_makes_one_run_and_an_unknown_trial_is_refused(
    deployed: None, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    first, second = trials("start", slug), trials("start", slug)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    assert f"trial-{slug} is scheduled" in first.stdout
    assert f"trial-{slug} is under way already" in second.stdout
    assert run_id_of(first.stdout) == run_id_of(second.stdout)

    unknown = trials("start", "no-such-trial")
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("Error: No trial 'no-such-trial' in the store")


async def test_a_trial_run_suspends_at_each_gate_and_the_same_run_carries_on(
    settings: Settings, stored_trial: StoreTrial, worker: subprocess.Popen[bytes]
) -> None:
    slug = stored_trial()
    started = trials("start", slug)
    assert started.returncode == 0, started.stderr
    run_id = run_id_of(started.stdout)

    suspended = await run_reaches(run_id, "Suspended")
    assert suspended.state is not None
    assert suspended.state.state_details.pause_key == "budget-approval-e1"
    # The flow's process ends once suspended (it may take some seconds on a busy machine):
    # the worker holds nothing for the trial.
    assert no_children_within(worker.pid, seconds=60)
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
    assert (row.phase, row.waiting_for) == ("onboarding", "budget approval at onboarding")
    # `trials status` links the suspended trial run, the one whose form answers the gate.
    status = trials("status", "--json")
    assert status.returncode == 0, status.stderr
    [shown] = json.loads(status.stdout)
    assert shown["latest_run_state"] == "Suspended"
    assert shown["latest_run"].endswith(f"/runs/flow-run/{run_id}")

    approved = trials("decide", slug, "approve", "--reason", "In budget", "--by", "Sam Ortiz")
    assert approved.returncode == 0, approved.stderr
    assert f"Resumed trial-{slug}" in approved.stdout

    # rung-3 is delivered and waits for the client's review of its satisfaction
    await run_reaches(run_id, "Suspended", key="acceptance-e1-rung-3")
    reviewed = trials("review", slug, "satisfaction", "4.6", "--by", "Sam Ortiz")
    assert reviewed.returncode == 0, reviewed.stderr
    assert f"Resumed trial-{slug}" in reviewed.stdout

    suspended = await run_reaches(run_id, "Suspended", key="evaluation-e1-1")
    assert suspended.state is not None
    expanded = trials("decide", slug, "expand", "--reason", "All met", "--by", "Sam Ortiz")
    assert expanded.returncode == 0, expanded.stderr
    assert f"Resumed trial-{slug}" in expanded.stdout

    # The same run carries on into engagement 2's ladder, and suspends at its evaluation.
    await run_reaches(run_id, "Suspended", key="acceptance-e2-l2-takeover")
    reviewed = trials("review", slug, "all-office-satisfaction", "4.5", "--by", "Sam Ortiz")
    assert reviewed.returncode == 0, reviewed.stderr
    suspended = await run_reaches(run_id, "Suspended", key="evaluation-e2-1")
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        decided = session.exec(select(Decision.gate, Decision.choice, Decision.decided_by)).all()
        climbed = session.exec(select(PilotTask.status).where(PilotTask.engagement == 2)).all()
    assert (row.phase, row.engagement, row.waiting_for) == (
        "evaluating",
        2,
        "decision at evaluation",
    )
    assert list(climbed) == ["accepted", "accepted"]
    assert sorted(decided) == [
        ("acceptance:e1:rung-3", "accept", "Sam Ortiz"),
        ("acceptance:e2:l2-takeover", "accept", "Sam Ortiz"),
        ("budget-approval:e1", "approve", "Sam Ortiz"),
        ("evaluation:e1:1", "expand", "Sam Ortiz"),
    ]


async def trial_runs(slug: str) -> list[FlowRun]:
    """The runs of the trial deployment for this trial."""
    async with get_client() as client:
        deployment = await client.read_deployment_by_name("trial/trials")
        return await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment.id])),
            flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[f"trial-{slug}"])),
        )


async def test_a_worker_killed_mid_run_leaves_a_crashed_run_and_the_next_monitor_run_finishes_once(
    settings: Settings, stored_trial: StoreTrial, deployed: None
) -> None:
    # A trial of its own: the module's server still holds the earlier test's run of the
    # example trial, suspended at a gate, and a start of that name would find it under way.
    slug = stored_trial(seconds_per_day=1.0, slug="killed-worker")  # a rung takes seconds
    dying = start_worker()
    try:
        started = trials("start", slug, "--auto")
        assert started.returncode == 0, started.stderr
        first = run_id_of(started.stdout)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with read_session(settings) as session:
                if session.exec(select(PilotTask).where(PilotTask.status == "submitted")).all():
                    break
            time.sleep(0.2)
        else:
            raise AssertionError("no rung was ever submitted")
    finally:
        # As when its machine dies: the worker and the flow run's process at once, so
        # neither can report anything.
        for pid in [dying.pid, *descendants(dying.pid)]:
            os.kill(pid, signal.SIGKILL)
        dying.wait(timeout=30)

    crashed = await run_reaches(first, "Crashed", timeout=240)  # three heartbeats missed
    assert crashed.state is not None and "No heartbeat" in (crashed.state.message or "")
    # The next monitor run carries the trial on: it starts the trial's deployment again.
    before = {run.id for run in await trial_runs(slug)}  # earlier tests' trials share the name
    carried = await monitor(advance="deployment")
    assert carried == {"active": 1, "escalated": 0, "advanced": 1}
    [second] = [run.id for run in await trial_runs(slug) if run.id not in before]
    replacement = start_worker()
    try:
        # The new run takes the deployment's own mode and asks a person: the client's
        # review of rung-3, then the evaluation.
        await run_reaches(second, "Suspended", timeout=240, key="acceptance-e1-rung-3")
        reviewed = trials("review", slug, "satisfaction", "4.6", "--by", "Sam Ortiz")
        assert reviewed.returncode == 0, reviewed.stderr
        await run_reaches(second, "Suspended", timeout=240, key="evaluation-e1-1")
        expanded = trials("decide", slug, "expand", "--reason", "All met")
        assert expanded.returncode == 0, expanded.stderr
        # It carries on into engagement 2's ladder, and asks again at its evaluation.
        await run_reaches(second, "Suspended", timeout=240, key="acceptance-e2-l2-takeover")
        reviewed = trials("review", slug, "all-office-satisfaction", "4.5", "--by", "Sam")
        assert reviewed.returncode == 0, reviewed.stderr
        await run_reaches(second, "Suspended", timeout=240, key="evaluation-e2-1")
    finally:
        stop_workers([replacement])

    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        base = session.get_one(Vendor, row.vendor_id).base_url.rstrip("/")
    assert (row.phase, row.engagement) == ("evaluating", 2)  # expanded, and climbed
    ledger = httpx.get(f"{base}/admin/ledger").json()
    assert {ref["creations"] for ref in ledger["client_refs"].values()} == {1}
    assert ledger["effects"]["work_items"] == 5  # rung-1 to rung-3 and engagement 2's, once


def test_a_worker_started_as_a_background_job_stops_on_sigterm(
    prefect_api: None, tmp_path: Path
) -> None:
    """A shell starts a background job (`trials worker &`) with SIGINT ignored, and Prefect's
    worker stops on SIGTERM by interrupting itself with SIGINT: the worker still stops, and
    says so, at the first SIGTERM."""
    log = tmp_path / "worker.log"
    ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as the shell does for `&`
    try:
        with log.open("w") as out:
            worker = subprocess.Popen(
                [TRIALS, "worker"], env=environment(), stdout=out, stderr=subprocess.STDOUT
            )
    finally:
        signal.signal(signal.SIGINT, ignored)
    try:
        deadline = time.monotonic() + 120
        while "started!" not in log.read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.5)
        assert "started!" in log.read_text(), log.read_text()

        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert "Received SIGTERM" in log.read_text()
    assert re.search(r"Worker '.+' stopped!", log.read_text()), log.read_text()


async def every_trial_run(slug: str) -> list[FlowRun]:
    """Every run of the trial deployment for this trial, read a page at a time."""
    found: list[FlowRun] = []
    async with get_client() as client:
        deployment = await client.read_deployment_by_name("trial/trials")
        while True:
            page = await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    deployment_id=FlowRunFilterDeploymentId(any_=[deployment.id]),
                    name=FlowRunFilterName(any_=[f"trial-{slug}"]),
                ),
                limit=100,
                offset=len(found),
            )
            found += page
            if len(page) < 100:
                return found


async def finish(run_id: UUID) -> None:
    """Mark the run Completed, as if a worker had run it to the end."""
    async with get_client() as client:
        await client.set_flow_run_state(run_id, Completed(), force=True)


async def one_new_run(slug: str, before: set[UUID]) -> UUID:
    """The one run of the trial that is not among `before`; fails unless there is exactly one."""
    new = [run.id for run in await every_trial_run(slug) if run.id not in before]
    assert len(new) == 1, f"{len(new)} new runs"
    return new[0]


async def start_makes_one_run(slug: str, runs: set[UUID]) -> UUID:
    """`trials start` makes exactly one new run and links it; the run is then finished, as a
    worker would, and added to `runs`."""
    started = trials("start", slug)
    assert started.returncode == 0, started.stderr
    assert f"trial-{slug} is scheduled" in started.stdout, started.stdout
    new = await one_new_run(slug, runs)
    assert run_id_of(started.stdout) == new
    await finish(new)
    runs.add(new)
    return new


async def test_starts_after_more_runs_than_one_read_returns_each_make_one_run(
    settings: Settings, stored_trial: StoreTrial, deployed: None
) -> None:
    """Prefect's API returns at most 200 runs a read: a trial that has had more, as one
    waiting on a long rung has after about eight days of hourly monitor rounds, is still
    started, by `trials start` and by the monitor, exactly once each time."""
    slug = stored_trial(slug="long-lived")
    with write_session(settings) as session:
        change_phase(session=session, slug=slug, to=Phase.ONBOARDING, actor="tester", reason="t")
    async with get_client() as client:
        deployment = await client.read_deployment_by_name("trial/trials")
        gate = asyncio.Semaphore(8)

        async def earlier_run(n: int) -> None:
            async with gate:
                await client.create_flow_run_from_deployment(
                    deployment.id,
                    parameters={"slug": slug},
                    name=f"trial-{slug}",
                    tags=[trial_tag(slug)],
                    state=Completed(),
                    idempotency_key=f"earlier:{n}",
                )

        await asyncio.gather(*map(earlier_run, range(201)))
    runs = {run.id for run in await every_trial_run(slug)}
    assert len(runs) == 201

    for _ in range(2):
        await start_makes_one_run(slug, runs)
    for _ in range(2):
        assert (await monitor(advance="deployment"))["advanced"] == 1
        new = await one_new_run(slug, runs)
        await finish(new)
        runs.add(new)


async def test_a_start_after_the_latest_run_was_deleted_makes_one_run(
    settings: Settings, stored_trial: StoreTrial, deployed: None
) -> None:
    slug = stored_trial(slug="pruned")
    runs: set[UUID] = set()
    first, middle, latest = [await start_makes_one_run(slug, runs) for _ in range(3)]
    async with get_client() as client:  # as a person deletes runs in the UI
        await client.delete_flow_run(latest)
        await client.delete_flow_run(middle)
    runs -= {latest, middle}
    assert {run.id for run in await every_trial_run(slug)} == {first}

    for _ in range(2):
        await start_makes_one_run(slug, runs)
