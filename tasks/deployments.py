"""Starting a trial's deployment on the Prefect server: once, however often it is asked."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.client.orchestration import PrefectClient
from prefect.client.schemas import filters
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectNotFound
from pydantic import BaseModel

from models.errors import TrialsError
from models.labels import trial_tag
from store.bakeoffs import bakeoff_of, get_bakeoff
from store.db import read_session

DEPLOYMENT = "trial/trials"  # flow "trial", deployment "trials", as in prefect.yaml
BAKEOFF_DEPLOYMENT = "bakeoff/trials"
CARRY_ON_DEPLOYMENT = "carry-on/trials"  # triggered by news events (prefect.yaml)
ACTIVE = [
    StateType.SCHEDULED,
    StateType.PENDING,
    StateType.RUNNING,
    StateType.PAUSED,
    StateType.CANCELLING,
]


class StartedRun(BaseModel):
    """A run of the trial deployment: the one started now, or the one already under way."""

    id: UUID
    name: str
    state: str
    under_way: bool  # True: a run was going already, and no new one was made


async def start_trial_run(
    slug: str, decisions: str | None = None, deployment: str = DEPLOYMENT
) -> StartedRun:
    """Start the run that carries the trial on, unless one is under way: the trial's own
    deployment, or for a vendor of a bake-off that has not selected yet, its bake-off's
    (`bakeoff/trials`, one run named `bakeoff-<id>` for all its vendors), so that the
    bake-off's run sees every vendor where the others left it. Once the bake-off has
    selected, the selected vendor is carried by its own trial's runs, after the bake-off's
    run that expanded it has ended.

    The start's idempotency key names the latest run of the deployment for it
    (`trial:<slug>:after:<run id>`, `bakeoff:<id>:after:<run id>`, or `:after:none` for
    the first), read as one sorted run, never counted from a list that Prefect's API pages
    and caps: two starts racing each other see the same latest run and make one run, and a
    start after that run ended names it and makes a new one. A run deleted in the UI frees
    its key, so the start after it makes a run again. `decisions` overrides the
    deployment's decision mode ("auto" takes the advice).

    Raises TrialsError when the deployment is missing, or when the server answers the start
    with a run that has already finished: no run was made, and saying so beats exit 0.
    """
    with read_session() as session:
        bakeoff = bakeoff_of(session=session, slug=slug)
        selected = bakeoff is not None and get_bakeoff(session=session, bakeoff=bakeoff).selected
    own = Start(
        name=f"trial-{slug}",
        key=f"trial:{slug}",
        parameters={"slug": slug},
        tags=[trial_tag(slug)],
        what=f"trial '{slug}'",
    )
    if bakeoff is None or deployment != DEPLOYMENT:
        return await _start_once(deployment, own, decisions)
    carrier = Start(
        name=f"bakeoff-{bakeoff}",
        key=f"bakeoff:{bakeoff}",
        parameters={"bakeoff": bakeoff},
        tags=[trial_tag(slug)],  # the run tags itself with every vendor's trial
        what=f"bake-off '{bakeoff}', which carries trial '{slug}',",
    )
    if not selected:
        return await _start_once(BAKEOFF_DEPLOYMENT, carrier, decisions)
    async with get_client() as client:
        carrying = await _under_way(client, BAKEOFF_DEPLOYMENT, carrier.name)
    if carrying is not None:  # the bake-off's run still carries it: that run goes on
        return StartedRun(
            id=carrying.id, name=carrying.name, state=_state(carrying), under_way=True
        )
    return await _start_once(deployment, own, decisions)


async def has_deployment(name: str) -> bool:
    """Whether the Prefect server has the deployment `name` ("flow/deployment")."""
    async with get_client() as client:
        try:
            await client.read_deployment_by_name(name)
        except ObjectNotFound:
            return False
    return True


class Start(BaseModel):
    """One deployment run to start once: its name, the start key's stem, its parameters."""

    name: str
    key: str
    parameters: dict[str, str]
    tags: list[str]
    what: str  # for messages: "trial 'x'"


async def _start_once(deployment: str, start: Start, decisions: str | None) -> StartedRun:
    """Start `deployment` as `start` says, unless a run of that name is under way."""
    parameters = start.parameters | ({} if decisions is None else {"decisions": decisions})
    async with get_client() as client:
        try:
            found = await client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            raise TrialsError(
                f"The Prefect server has no deployment '{deployment}'. Register the "
                "deployments with `trials deploy` (or `prefect deploy --all` from the "
                f"repository root), then start the {start.what} again."
            ) from None
        runs_of_it = _runs_named(found.id, start.name)
        under_way = await _newest(client, runs_of_it, active=True)
        if under_way is not None:
            return StartedRun(
                id=under_way.id, name=under_way.name, state=_state(under_way), under_way=True
            )
        latest = await _newest(client, runs_of_it, active=False)
        key = f"{start.key}:after:{latest.id if latest is not None else 'none'}"
        run = await client.create_flow_run_from_deployment(
            found.id,
            parameters=parameters,
            name=start.name,
            tags=start.tags,
            idempotency_key=key,
        )
    if run.state is not None and run.state.is_final():
        raise TrialsError(
            f"The Prefect server answered the start of {start.what} with the run "
            f"{run.id}, which is {run.state.name} already (its start key {key} was used "
            "before): no new run was made. Start it again; if this repeats, report it."
        )
    return StartedRun(id=run.id, name=run.name, state=_state(run), under_way=False)


async def _under_way(client: PrefectClient, deployment: str, name: str) -> FlowRun | None:
    """The run of `deployment` named `name` under way, if any (none without the deployment)."""
    try:
        found = await client.read_deployment_by_name(deployment)
    except ObjectNotFound:
        return None
    return await _newest(client, _runs_named(found.id, name), active=True)


def _runs_named(deployment_id: UUID, name: str) -> filters.FlowRunFilter:
    return filters.FlowRunFilter(
        deployment_id=filters.FlowRunFilterDeploymentId(any_=[deployment_id]),
        name=filters.FlowRunFilterName(any_=[name]),
    )


async def _newest(
    client: PrefectClient, runs: filters.FlowRunFilter, *, active: bool
) -> FlowRun | None:
    """The newest of these runs, by expected start: of those under way, or of them all."""
    query = runs.model_copy()
    if active:
        query.state = filters.FlowRunFilterState(type=filters.FlowRunFilterStateType(any_=ACTIVE))
    found = await client.read_flow_runs(
        flow_run_filter=query, sort=FlowRunSort.EXPECTED_START_TIME_DESC, limit=1
    )
    return found[0] if found else None


@task(cache_policy=NO_CACHE)
async def carry_on(slug: str) -> StartedRun:
    """Start the trial's deployment, so a worker carries the trial on."""
    return await start_trial_run(slug)


def _state(run: FlowRun) -> str:
    return run.state.name if run.state is not None and run.state.name else "Scheduled"
