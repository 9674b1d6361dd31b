"""`trials decide`: answer a trial's open gate from the command line.

The gates are the budget approval at onboarding (approve or reject), the budget cap
while piloting (raise-cap with --cap, rescope or exit), the evaluation (expand,
extend or exit), and a bake-off's selection (select VENDOR, or select none).
"""

from __future__ import annotations

from collections.abc import Iterable
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
        str,
        typer.Argument(
            help="The trial id; with select, the bake-off id.", metavar="TRIAL", show_default=False
        ),
    ],
    choice: Annotated[
        str,
        typer.Argument(
            help="At onboarding's budget approval: approve or reject. At the budget cap: "
            "raise-cap (with --cap), rescope or exit. At evaluation: expand, extend or exit. "
            "At a bake-off's selection: select VENDOR (or none).",
            metavar="approve|reject|raise-cap|rescope|expand|extend|exit|select",
            show_default=False,
        ),
    ],
    vendor: Annotated[
        str | None,
        typer.Argument(
            help="With select: the vendor of the bake-off to expand, or none.",
            metavar="VENDOR",
            show_default=False,
        ),
    ] = None,
    reason: Annotated[
        str, typer.Option(help="Why; recorded with the decision.", show_default=False)
    ] = "",
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
    """Decide at a trial's open gate, or select at a bake-off's: resume the run waiting there, or
    record it for the next."""
    from decimal import Decimal

    from models.cap import CapRequest

    settings = get_settings()
    decided_by = (settings.actor if by is None else by).strip()
    reason = reason.strip()
    if not reason:
        raise TrialsError("The reason is empty: say why with --reason TEXT; it is recorded.")
    if not decided_by:
        raise TrialsError("--by is empty: say who decides; it is recorded.")
    if choice == "select" or vendor is not None:
        _select(trial, choice, vendor, reason, decided_by)
        return
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
        f"{gate.gate}, and the next {gate.flow} run applies it. {carried_on(gate, choice)}"
    )


def _select(bakeoff: str, choice: str, vendor: str | None, reason: str, decided_by: str) -> None:
    """Select at the bake-off's gate: resume its waiting run, or record it for the next."""
    from models.selection import NONE, SELECT
    from models.tables import utcnow
    from store.bakeoffs import open_selection, record_selection
    from store.db import read_session, write_session

    if choice != SELECT or vendor is None:
        raise TrialsError(
            f"A bake-off's selection is `trials decide {bakeoff} select VENDOR --reason TEXT` "
            "(or select none, to exit every vendor)."
        )
    with read_session(get_settings()) as session:
        selection = open_selection(session=session, bakeoff=bakeoff, today=utcnow().date())
    selection.check_answer(vendor)
    run = _paused_run(["bakeoff"], [f"bakeoff-{bakeoff}"], selection.gate)
    answer = {"vendor": vendor, "reason": reason, "decided_by": decided_by}
    if run is not None and resume(run, answer):
        typer.echo(
            f"Resumed {run.name}: it records '{vendor}' selected by {decided_by} at "
            f"{selection.gate}, expands it and exits the other vendors."
        )
        return
    with write_session(get_settings()) as session:
        record_selection(
            session=session,
            selection=selection,
            vendor=vendor,
            reason=reason,
            decided_by=decided_by,
        )
    typer.echo(
        f"No bakeoff run is waiting for {bakeoff}; '{vendor}' selected by {decided_by} is "
        f"recorded at {selection.gate}, and the next `trials bakeoff {bakeoff}` run expands "
        "it and exits the other vendors."
    )
    if told(selection.outcome(NONE), selection.gate, vendor):
        typer.echo("Told the Prefect server: its carry-on deployment starts that run.")


def carried_on(gate: OpenGate, choice: str) -> str:
    """Tell the Prefect server that a decision waits to be applied; how the trial goes on."""
    if told([gate.slug], gate.gate, choice):
        return (
            "Told the Prefect server: its carry-on deployment starts that run within "
            f"seconds (`trials status` shows it); `trials start {gate.slug}` does it now."
        )
    return (
        f"`trials start {gate.slug}` with a Prefect server, `trials run {gate.slug}` "
        "without, or else the monitor's next round."
    )


def told(slugs: Iterable[str], gate: str, choice: str) -> bool:
    """Emit `trials.decision.recorded` about each trial, when the Prefect server
    (PREFECT_API_URL) has the carry-on deployment its trigger starts; whether it was."""
    import httpx

    prepare_prefect(quiet_console=True)
    from prefect.settings import PREFECT_API_URL
    from prefect.utilities.asyncutils import run_coro_as_sync

    from tasks.deployments import CARRY_ON_DEPLOYMENT, has_deployment
    from tasks.reporting import announce_decision

    if not PREFECT_API_URL.value():
        return False

    async def tell() -> bool:
        if not await has_deployment(CARRY_ON_DEPLOYMENT):
            return False
        for slug in slugs:
            await announce_decision(slug, gate, choice)
        return True

    try:  # in a thread of its own: the command may be called where a loop runs (tests)
        return bool(run_coro_as_sync(tell(), force_new_thread=True))
    except httpx.HTTPError:  # recorded all the same: the monitor's next round applies it
        return False


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
    from models.gate_kinds import EVALUATION
    from models.phases import Phase
    from store.bakeoffs import refuse_outside_selection
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
    if gate.kind is EVALUATION:
        with read_session(get_settings()) as session:
            refuse_outside_selection(session=session, slug=slug)
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
    """The trial's run that is paused at this gate and may still resume: the phase's run
    pauses at its gate; a trial run under a deployment suspends there instead."""
    return _paused_run(
        [gate.flow, "trial"], [f"{gate.flow}-{gate.slug}", f"trial-{gate.slug}"], gate.gate
    )


def _paused_run(flows: list[str], names: list[str], gate: str) -> FlowRun | None:
    """The run of one of these flows and names that is paused at `gate` and may resume."""
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
                flow_filter=filters.FlowFilter(name=filters.FlowFilterName(any_=flows)),
                flow_run_filter=filters.FlowRunFilter(
                    name=filters.FlowRunFilterName(any_=names),
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


def resume(run: FlowRun, answer: dict[str, Any]) -> bool:
    """Resume the paused run with the answer; False when it stopped waiting just now.

    Then the decision goes to the store, which refuses it if the run recorded another
    answer (from the UI) first.
    """
    from prefect.exceptions import FlowPauseTimeout, NotPausedError
    from prefect.flow_runs import resume_flow_run

    try:
        # Synchronously even where an event loop runs (a command called from async code):
        # there, Prefect's dispatch would return the coroutine unawaited and resume nothing.
        resume_flow_run(run.id, run_input=answer, _sync=True)  # type: ignore[call-arg]
    except (FlowPauseTimeout, NotPausedError):
        return False
    except RuntimeError as refused:  # the server refused the answer, as it says why
        raise TrialsError(
            f"The Prefect server refused to resume {run.name} with this answer: {refused}. "
            "Answer the gate again as its form in the UI asks."
        ) from None
    return True


def _api_url() -> str:
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value() or "a temporary server (PREFECT_API_URL is not set)"
