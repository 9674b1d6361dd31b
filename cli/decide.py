"""`trials decide`: answer the evaluation gate from the command line."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from config import get_settings
from config.prefect import prepare_prefect
from models.errors import TrialsError
from models.gates import Choice

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

    from models.evaluation import Evaluation

START_SERVER = (
    "Start one with `prefect server start` and set PREFECT_API_URL=http://127.0.0.1:4200/api "
    "(or point PREFECT_API_URL at the server that runs the flows), then decide again."
)


def decide(
    trial: Annotated[
        str, typer.Argument(help="The trial id.", metavar="TRIAL", show_default=False)
    ],
    choice: Annotated[
        Choice,
        typer.Argument(help="What to do next.", metavar="expand|extend|exit", show_default=False),
    ],
    reason: Annotated[
        str, typer.Option(help="Why; recorded with the decision.", show_default=False)
    ],
    by: Annotated[
        str | None,
        typer.Option(
            help="Who decides; TRIALS_ACTOR or your user name if not given.", show_default=False
        ),
    ] = None,
) -> None:
    """Decide at the evaluation gate: resume the waiting evaluation, or record it for the next."""
    settings = get_settings()
    decided_by = (settings.actor if by is None else by).strip()
    if not reason.strip():
        raise TrialsError("The reason is empty: say why with --reason TEXT; it is recorded.")
    if not decided_by:
        raise TrialsError("--by is empty: say who decides; it is recorded.")
    evaluation = _waiting_evaluation(trial, choice)
    answer = {"choice": choice.value, "reason": reason.strip(), "decided_by": decided_by}
    run = _paused_run(trial, evaluation.gate)
    if run is not None and _resume(run, answer):
        typer.echo(
            f"Resumed {run.name}: it records '{choice}' by {decided_by} at {evaluation.gate} "
            "and moves the trial on."
        )
        return
    _record_for_next_run(evaluation, choice, answer["reason"], decided_by)
    typer.echo(
        f"No evaluation run is waiting for {trial}; '{choice}' by {decided_by} is recorded at "
        f"{evaluation.gate}, and the next evaluation run applies it."
    )


def _record_for_next_run(
    evaluation: Evaluation, choice: Choice, reason: str, decided_by: str
) -> None:
    """Record the decision in the store, for the next evaluation run to apply."""
    from store.db import write_session
    from store.decisions import record_pending_decision

    with write_session(get_settings()) as session:
        record_pending_decision(
            session=session,
            evaluation=evaluation,
            choice=choice,
            reason=reason,
            decided_by=decided_by,
        )


def _waiting_evaluation(slug: str, choice: Choice) -> Evaluation:
    """The evaluation at the open gate; refused unless the trial waits for this decision."""
    from models.evaluation import check_choice, evaluate, require_phase
    from models.phases import Phase
    from models.tables import utcnow
    from store.db import read_session
    from store.decisions import find_decision
    from store.evaluation import evaluation_facts

    with read_session(get_settings()) as session:
        facts = evaluation_facts(session=session, slug=slug)
        require_phase(slug, facts.phase, Phase.EVALUATING, "no decision is waiting")
        done = find_decision(session=session, trial_id=facts.trial_id, gate=facts.gate)
    if done is not None:
        raise TrialsError(
            f"Trial '{slug}' was decided at {done.gate} already: {done.choice} by "
            f"{done.decided_by}. The next evaluation run applies it."
        )
    evaluation = evaluate(facts, utcnow().date())
    check_choice(evaluation, choice)
    return evaluation


def _paused_run(slug: str, gate: str) -> FlowRun | None:
    """The evaluation run of the trial that is paused at this gate and may still resume."""
    import httpx

    prepare_prefect(quiet_console=True)
    from prefect import get_client
    from prefect.client.schemas import filters
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL

    from models.evaluation import pause_key

    if not PREFECT_API_URL.value():
        typer.echo(
            "PREFECT_API_URL is not set: looking for the waiting run through a temporary "
            "Prefect server on this machine's Prefect database (some seconds).",
            err=True,
        )
    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                flow_filter=filters.FlowFilter(name=filters.FlowFilterName(any_=["evaluation"])),
                flow_run_filter=filters.FlowRunFilter(
                    name=filters.FlowRunFilterName(any_=[f"evaluation-{slug}"]),
                    state=filters.FlowRunFilterState(
                        type=filters.FlowRunFilterStateType(any_=[StateType.PAUSED])
                    ),
                ),
                sort=FlowRunSort.START_TIME_DESC,
            )
    except httpx.TransportError as exc:
        raise TrialsError(
            f"Cannot reach the Prefect API at {_api_url()}: {exc}. {START_SERVER}"
        ) from None
    now = datetime.now(UTC)
    for run in runs:
        details = run.state.state_details if run.state else None
        timeout = details.pause_timeout if details else None
        if details and details.pause_key == pause_key(gate) and (timeout is None or timeout > now):
            return run
    return None


def _resume(run: FlowRun, answer: dict[str, Any]) -> bool:
    """Resume the paused run with the answer; False when it stopped waiting just now.

    Then the decision goes to the store, which refuses it if the run recorded another
    answer (from the UI) first.
    """
    from prefect.exceptions import FlowPauseTimeout, NotPausedError
    from prefect.flow_runs import resume_flow_run

    try:
        resume_flow_run(run.id, run_input=answer)
    except (FlowPauseTimeout, NotPausedError):
        return False
    return True


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or "a temporary server (PREFECT_API_URL is not set)"
