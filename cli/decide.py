"""`trials decide`: answer a trial's open gate from the command line.

The gates are the budget approval at onboarding (approve or reject), the budget cap
while piloting (raise-cap with --cap, rescope or exit) and the evaluation (expand,
extend or exit).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from config import get_settings
from config.prefect import prepare_prefect
from models.errors import TrialsError

if TYPE_CHECKING:
    from prefect.client.schemas.objects import FlowRun

    from store.gates import OpenGate

START_SERVER = (
    "Start one with `trials server` and set PREFECT_API_URL=http://127.0.0.1:4200/api "
    "(or point PREFECT_API_URL at the server that runs the flows), then decide again."
)


def decide(
    trial: Annotated[
        str, typer.Argument(help="The trial id.", metavar="TRIAL", show_default=False)
    ],
    choice: Annotated[
        str,
        typer.Argument(
            help="At onboarding's budget approval: approve or reject. At the budget cap: "
            "raise-cap (with --cap), rescope or exit. At evaluation: expand, extend or exit.",
            metavar="approve|reject|raise-cap|rescope|expand|extend|exit",
            show_default=False,
        ),
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
    cap: Annotated[
        str | None,
        typer.Option(
            help="With raise-cap: the new cap, at least the spend plus the stopped rung's "
            "forecast.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Decide at the trial's open gate: resume the run waiting there, or record it for the next."""
    from decimal import Decimal

    from models.cap import CapRequest

    settings = get_settings()
    decided_by = (settings.actor if by is None else by).strip()
    reason = reason.strip()
    if not reason:
        raise TrialsError("The reason is empty: say why with --reason TEXT; it is recorded.")
    if not decided_by:
        raise TrialsError("--by is empty: say who decides; it is recorded.")
    gate = _open_gate(trial, choice, cap)
    answer: dict[str, object] = {
        "choice": choice,
        "reason": reason,
        "decided_by": decided_by,
    }
    if cap is not None and isinstance(gate.basis, CapRequest):
        # A JSON number, as the form's schema asks: the server checks it against the least
        # cap before it resumes the run, as it does an answer from the UI.
        answer["new_cap"] = float(cap)
        gate.evidence = gate.basis.evidence(Decimal(cap))
    run = paused_run(gate)
    if run is not None and resume(run, answer):
        typer.echo(
            f"Resumed {run.name}: it records '{choice}' by {decided_by} at {gate.gate} "
            "and moves the trial on."
        )
        return
    _record_for_next_run(gate, choice, reason, decided_by)
    typer.echo(
        f"No {gate.flow} run is waiting for {trial}; '{choice}' by {decided_by} is recorded at "
        f"{gate.gate}, and the next {gate.flow} run applies it: `trials start {trial}` with a "
        f"Prefect server, `trials run {trial}` without, or else the monitor's next round."
    )


def _record_for_next_run(gate: OpenGate, choice: str, reason: str, decided_by: str) -> None:
    """Record the decision in the store, for the next run of the gate's flow to apply."""
    from store.db import write_session
    from store.decisions import record_pending_decision

    with write_session(get_settings()) as session:
        record_pending_decision(
            session=session,
            slug=gate.slug,
            trial_id=gate.trial_id,
            gate=gate.gate,
            choice=choice,
            recommendation=gate.recommendation,
            reason=reason,
            decided_by=decided_by,
            evidence=gate.evidence,
            applied_by=gate.flow,
        )


def _open_gate(slug: str, choice: str, cap: str | None) -> OpenGate:
    """The gate the trial waits at, with `choice` checked against it; refused if none waits."""
    from models.phases import Phase
    from store.db import read_session
    from store.gates import open_gate
    from store.trials import get_trial

    with read_session(get_settings()) as session:
        phase = Phase(get_trial(session=session, slug=slug).phase)
        gate = open_gate(session=session, slug=slug)
    if gate is None:
        raise TrialsError(
            f"Trial '{slug}' is {phase}: no decision is waiting. A trial waits for one at "
            "onboarding (the budget approval), at a delivered rung's acceptance (client "
            "reviews) and the budget cap while piloting, and at evaluation. "
            f"`trials show {slug}` shows where it stands."
        )
    gate.basis.check_answer(choice, cap)  # each kind's own rule (models.gate_kinds)
    _refuse_if_decided(gate)
    return gate


def _refuse_if_decided(gate: OpenGate) -> None:
    """Refuse a second decision at a gate that has one on record."""
    from store.db import read_session
    from store.decisions import find_decision

    with read_session(get_settings()) as session:
        done = find_decision(session=session, trial_id=gate.trial_id, gate=gate.gate)
    if done is not None:
        raise TrialsError(
            f"Trial '{gate.slug}' was decided at {done.gate} already: {done.choice} by "
            f"{done.decided_by}. The next {gate.flow} run applies it."
        )


def paused_run(gate: OpenGate) -> FlowRun | None:
    """The trial's run that is paused at this gate and may still resume."""
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
                flow_filter=filters.FlowFilter(
                    name=filters.FlowFilterName(any_=[gate.flow, "trial"])
                ),
                flow_run_filter=filters.FlowRunFilter(
                    # the phase's run pauses at its gate; a trial run under a deployment
                    # suspends there instead
                    name=filters.FlowRunFilterName(
                        any_=[f"{gate.flow}-{gate.slug}", f"trial-{gate.slug}"]
                    ),
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
        if (
            details
            and details.pause_key == pause_key(gate.gate)
            and (timeout is None or timeout > now)
        ):
            return run
    return None


def resume(run: FlowRun, answer: dict[str, Any]) -> bool:
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
