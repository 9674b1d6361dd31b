"""A bake-off: every vendor's ordinary trial on the shared ladder at once, one selection gate,
then the selected vendor's expansion and every other vendor's exit."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from prefect import flow
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import apause_flow_run, asuspend_flow_run
from pydantic import Field, create_model

from config import get_settings
from flows.exit import exit_trial
from flows.gates import GateInput
from flows.ladder import WAITING, ladder
from flows.onboarding import onboarding
from flows.trial import deployed, trial
from models.evaluation import check_mode, pause_key
from models.gate_kinds import POLICY
from models.monitor import asked_note
from models.notify import GateNotice
from models.phases import TERMINAL, Phase
from models.selection import NONE, WAITING_FOR_SELECTION, Selection
from models.selection_view import selection_markdown
from tasks.bakeoff import (
    assess_selection,
    label_bakeoff_run,
    load_entries,
    publish_bakeoff_report,
    publish_selection,
    save_selection,
    selected_on_record,
    wait_for_selection,
)
from tasks.reporting import announce_gate, form_url
from tasks.trial_state import gate_announced, load_trial, mark_gate_announced


class SelectionInput(GateInput):
    """The selection: the form in the Prefect UI, or `trials decide BAKEOFF select VENDOR`."""

    vendor: str = Field(
        description="The vendor to expand; every other vendor exits. none: all exit."
    )


@flow(name="bakeoff", flow_run_name="bakeoff-{bakeoff}")
async def bakeoff(
    bakeoff: str, decisions: str = "ask", wait_seconds: float = 300.0, decision_timeout: int = 3600
) -> str:
    """Run each vendor's trial to the end of the shared ladder concurrently (each vendor's
    requests under its own concurrency limit), ask for the selection, then carry every
    trial on: the selected one into its expansion, the others through their exits.

    `decisions` is "ask", "auto" (take the advice; a tie waits for a person) or "defer".
    Asking under a deployment, this run suspends at the selection, holding no worker; a
    vendor's trial is a subflow, which cannot suspend, so each vendor's own gates are
    deferred instead: told to the people, answered by `trials decide` or `trials review`,
    whose recorded decision starts this deployment again (`tasks.deployments`). After the
    selection, the selected vendor's next runs are its own trial's.
    Returns "waiting", or each vendor's phase.
    """
    check_mode(decisions)
    entries = await load_entries(bakeoff)
    await label_bakeoff_run(entries)
    each = "defer" if decisions == "ask" and deployed() else decisions
    if await selected_on_record(bakeoff) is None:
        reached = await asyncio.gather(
            *(to_selection(e.slug, each, wait_seconds, decision_timeout) for e in entries)
        )
        if WAITING in reached:
            return WAITING  # a vendor, or a person at a trial's own gate, holds the ladder up
        selection = await assess_selection(bakeoff)
        await publish_selection(selection)
        await publish_bakeoff_report(bakeoff)
        if not await settle_selection(selection, decisions, decision_timeout):
            return WAITING
    phases = await asyncio.gather(
        *(trial(e.slug, each, wait_seconds, decision_timeout) for e in entries)
    )
    await publish_bakeoff_report(bakeoff)
    return ", ".join(f"{e.vendor}: {phase}" for e, phase in zip(entries, phases, strict=True))


@flow(name="bakeoff-vendor", flow_run_name="bakeoff-vendor-{slug}")
async def to_selection(
    slug: str, decisions: str = "ask", wait_seconds: float = 300.0, decision_timeout: int = 3600
) -> str:
    """Carry one vendor's trial through onboarding and the shared ladder to its evaluation,
    or through its exit if it left the ladder; return its phase, or "waiting"."""
    while (phase := (await load_trial(slug)).phase) not in TERMINAL:
        if phase is Phase.EVALUATING or phase is Phase.EXPANDING:
            return phase
        if phase is Phase.EXITING:
            await exit_trial(slug)
        elif phase is Phase.PILOTING:
            if await ladder(slug, wait_seconds, decisions, decision_timeout) == WAITING:
                return WAITING
        elif await onboarding(slug, decisions, decision_timeout) is None:
            return WAITING
    return phase


async def settle_selection(selection: Selection, decisions: str, timeout: int) -> bool:
    """Have the selection on record; False while nobody has selected."""
    if await selected_on_record(selection.bakeoff) is not None:
        return True
    answer: SelectionInput | None = None
    if decisions == "auto" and not selection.for_a_person:
        answer = SelectionInput(
            vendor=selection.advice.vendor or NONE,
            reason=selection.rationale,
            decided_by=POLICY,
        )
    else:
        note = asked_note(selection.gate, selection.advice.vendor, selection.rationale)
        for slug in selection.outcome(NONE):  # told first, then waiting (flows.gates.ask)
            if not await gate_announced(slug, selection.gate):
                await announce_gate(await _notice(selection, slug, decisions))
                await mark_gate_announced(slug, selection.gate)
        await wait_for_selection(selection, WAITING_FOR_SELECTION, note)
        if decisions == "ask":
            answer = await _ask(selection, timeout)
    if answer is None:
        return False
    await save_selection(selection, answer.vendor, answer.reason, answer.decided_by)
    return True


async def _ask(selection: Selection, timeout: int) -> SelectionInput | None:
    """Wait for a person's selection, the advice prefilled; None if none came in time.

    Under a deployment the run suspends, holding no worker: it starts again from the top
    once answered, finds every trial where it left it, and this call returns the answer."""
    form = _form(selection).with_initial_data(
        description=selection_markdown(selection),
        vendor=selection.advice.vendor or NONE,
        reason=selection.rationale,
        decided_by=get_settings().actor,
    )
    if deployed():  # the run ends, and the server reschedules it once answered
        return await asuspend_flow_run(
            wait_for_input=form, timeout=timeout, key=pause_key(selection.gate)
        )
    try:
        poll_interval: Any = get_settings().gate_poll_seconds  # fractions of a second work
        return await apause_flow_run(
            wait_for_input=form,
            timeout=timeout,
            poll_interval=poll_interval,
            key=pause_key(selection.gate),
        )
    except FlowPauseTimeout:
        return None


async def _notice(selection: Selection, slug: str, decisions: str) -> GateNotice:
    """What the plan's people are told about trial `slug` when the selection gate opens."""
    return GateNotice(
        slug=slug,
        gate=selection.gate,
        needed=WAITING_FOR_SELECTION,
        advice=selection.advice.vendor,
        rationale=selection.rationale,
        form_url=await form_url(this_run=decisions == "ask"),
        answer=f"trials decide {selection.bakeoff} select VENDOR|none --reason TEXT",
    )


def _form(selection: Selection) -> type[SelectionInput]:
    """The form, its vendor one of those still at evaluation, or none."""
    choices = (*selection.selectable, NONE)
    vendor: Any = Literal.__getitem__(choices)
    field = Field(description="The vendor to expand; every other vendor exits. none: all exit.")
    return create_model(SelectionInput.__name__, __base__=SelectionInput, vendor=(vendor, field))
