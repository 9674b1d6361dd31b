"""Starting a trial's deployment on the Prefect server: once, however often it is asked."""

from __future__ import annotations

from uuid import UUID

from prefect import get_client, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas import filters
from prefect.client.schemas.objects import FlowRun, StateType
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

    The idempotency key counts the trial's runs of the deployment so far, so two starts
    racing each other make one run, and a start after a run ended makes a new one.
    `decisions` overrides the deployment's decision mode ("auto" takes the advice).
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
        runs = await client.read_flow_runs(
            deployment_filter=filters.DeploymentFilter(
                id=filters.DeploymentFilterId(any_=[found.id])
            ),
            flow_run_filter=filters.FlowRunFilter(
                name=filters.FlowRunFilterName(any_=[f"trial-{slug}"])
            ),
        )
        under_way = [r for r in runs if r.state is not None and r.state.type in ACTIVE]
        if under_way:
            run = under_way[0]
            return StartedRun(id=run.id, name=run.name, state=_state(run), under_way=True)
        run = await client.create_flow_run_from_deployment(
            found.id,
            parameters=parameters,
            name=f"trial-{slug}",
            tags=[trial_tag(slug)],
            idempotency_key=f"trial:{slug}:{len(runs)}",
        )
    return StartedRun(id=run.id, name=run.name, state=_state(run), under_way=False)


@task(cache_policy=NO_CACHE)
async def carry_on(slug: str) -> StartedRun:
    """Start the trial's deployment, so a worker carries the trial on."""
    return await start_trial_run(slug)


def _state(run: FlowRun) -> str:
    return run.state.name if run.state is not None and run.state.name else "Scheduled"
