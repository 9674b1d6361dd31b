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

DEPLOYMENT = "trial/trials"  # flow "trial", deployment "trials", as in prefect.yaml
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
    """Start the trial's deployment unless a run of it for this trial is under way.

    The start's idempotency key names the trial's latest run of the deployment
    (`trial:<slug>:after:<run id>`, or `:after:none` for the first), read as one sorted
    run, never counted from a list that Prefect's API pages and caps: two starts racing
    each other see the same latest run and make one run, and a start after that run ended
    names it and makes a new one. A run deleted in the UI frees its key, so the start after
    it makes a run again. `decisions` overrides the deployment's decision mode ("auto"
    takes the advice).

    Raises TrialsError when the deployment is missing, or when the server answers the start
    with a run that has already finished: no run was made, and saying so beats exit 0.
    """
    parameters: dict[str, str] = {"slug": slug}
    if decisions is not None:
        parameters["decisions"] = decisions
    async with get_client() as client:
        try:
            found = await client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            raise TrialsError(
                f"The Prefect server has no deployment '{deployment}'. Register the "
                "deployments with `trials deploy` (or `prefect deploy --all` from the "
                "repository root), then start the trial again."
            ) from None
        runs_of_the_trial = filters.FlowRunFilter(
            deployment_id=filters.FlowRunFilterDeploymentId(any_=[found.id]),
            name=filters.FlowRunFilterName(any_=[f"trial-{slug}"]),
        )
        under_way = await _newest(client, runs_of_the_trial, active=True)
        if under_way is not None:
            return StartedRun(
                id=under_way.id, name=under_way.name, state=_state(under_way), under_way=True
            )
        latest = await _newest(client, runs_of_the_trial, active=False)
        key = f"trial:{slug}:after:{latest.id if latest is not None else 'none'}"
        run = await client.create_flow_run_from_deployment(
            found.id,
            parameters=parameters,
            name=f"trial-{slug}",
            tags=[trial_tag(slug)],
            idempotency_key=key,
        )
    if run.state is not None and run.state.is_final():
        raise TrialsError(
            f"The Prefect server answered the start of trial '{slug}' with the run "
            f"{run.id}, which is {run.state.name} already (its start key {key} was used "
            "before): no new run was made. Start the trial again; if this repeats, report it."
        )
    return StartedRun(id=run.id, name=run.name, state=_state(run), under_way=False)


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
