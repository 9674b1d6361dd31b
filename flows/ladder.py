"""The pilot ladder: small projects first, one rung at a time, climbing while the gate holds."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from prefect import flow, get_run_logger
from pydantic import ConfigDict

from adapters.contract import WorkStatus
from adapters.orders import work_order
from config import get_settings
from flows.acceptance import settle_acceptance
from flows.gates import GateInput, ask, how_to_wait
from models.budget import crossed, thresholds
from models.cap import WAITING_FOR_CAP, CapChoice, CapRequest, cap_request, check_new_cap
from models.context import TrialContext
from models.errors import TrialsError
from models.evaluation import check_mode
from models.gate_kinds import POLICY
from models.gates import missed_reasons
from models.money import money
from models.notify import BUDGET_THRESHOLD
from models.phases import Phase
from models.scoring import scorecard
from models.ticket_readings import uses_tickets
from tasks.budget import apply_cap_decision_at, mark_announced, record_crossings
from tasks.deliverables import measure_deliverables, record_deliverables
from tasks.ladder import (
    archive_deliverables,
    mark_rung,
    read_gate_inputs,
    record_delivery,
    record_submission,
    rungs_to_climb,
    stop_ladder,
)
from tasks.reporting import announce, label_run, send_event, show_progress, start_progress
from tasks.reviews import read_acceptance
from tasks.tickets import record_tickets
from tasks.trial_state import (
    decision_on_record,
    load_trial,
    move_phase,
    record_decision,
    save_intent,
    set_waiting,
)
from tasks.vendor import (
    create_work_item,
    read_tickets,
    wait_for_delivery,
)

WAITING = "waiting"


class CapInput(GateInput):
    """The decision at the budget-cap gate: the form in the Prefect UI, or `trials decide`."""

    choice: CapChoice
    new_cap: Decimal | None = None  # raise-cap only: at least the spend plus the rung

    @classmethod
    def at(cls, request: CapRequest) -> type[CapInput]:
        """The form for this stop, whose schema the server checks an answer against before
        it resumes the run: raise-cap with a new cap of at least what the rung needs, any
        other choice with none. A wrong answer is refused in the form, and the run waits on."""

        def bound(schema: dict[str, Any]) -> None:
            schema["properties"]["new_cap"] = {
                "title": "New Cap",
                "description": "With raise-cap only: at least "
                f"{money(request.needed, request.currency)} {request.currency}, the spend plus "
                f"{request.rung}'s forecast.",
                "anyOf": [{"type": "number", "minimum": float(request.needed)}, {"type": "null"}],
                "default": None,
            }
            schema["if"] = {
                "properties": {"choice": {"const": CapChoice.RAISE_CAP.value}},
                "required": ["choice"],
            }
            schema["then"] = {
                "properties": {"new_cap": {"type": "number"}},
                "required": ["new_cap"],
            }
            schema["else"] = {"properties": {"new_cap": {"type": "null"}}}

        config = ConfigDict(json_schema_extra=bound)
        return type(cls.__name__, (cls,), {"model_config": config, "__module__": cls.__module__})


@flow(name="ladder", flow_run_name="ladder-{slug}")
async def ladder(
    slug: str, wait_seconds: float = 300.0, decisions: str = "ask", decision_timeout: int = 3600
) -> str:
    """Climb the open rungs in order; return the phase it moved to, or "waiting".

    It waits for the vendor, or for a person at the budget cap: a rung whose forecast
    cost would take the spend over the cap is not started until someone raises the cap,
    rescopes or exits. `decisions` is "ask", "auto" (take the advice: rescope) or "defer".
    """
    await label_run(await load_trial(slug), Phase.PILOTING)
    return await climb(slug, wait_seconds, decisions, decision_timeout)


async def climb(slug: str, wait_seconds: float, decisions: str, decision_timeout: int) -> str:
    """The ladder's steps in the run that calls them: its own, or the trial's run."""
    check_mode(decisions)
    trial = await load_trial(slug)
    if trial.phase is not Phase.PILOTING:
        return trial.phase
    rungs = await rungs_to_climb(trial)
    progress = await start_progress(slug, f"{len(rungs)} rungs to climb")
    gate = await read_gate_inputs(trial)
    for number, rung in enumerate(rungs):
        # A rung already sent (a rerun after a crash) is under way: the gate is before sending.
        stop = (
            None
            if rung.vendor_ref
            else cap_request(trial, rung.rung_key, rung.estimate, gate.spent, gate.earned)
        )
        if stop is not None:
            first = trial.waiting_for != WAITING_FOR_CAP  # announced once, when it stops here
            how = how_to_wait(decisions)
            if not await settle_cap(stop, decisions, decision_timeout, how, first_stop=first):
                return WAITING  # nobody decided (in time): the trial waits for `trials decide`
            choice = await apply_cap_decision_at(slug, stop.gate, rung)  # and stops waiting
            if choice != CapChoice.RAISE_CAP:
                return (await load_trial(slug)).phase  # rescoped to evaluation, or exiting
            trial = await load_trial(slug)  # with the raised cap

        order = work_order(
            trial, rung.rung_key, rung.title, rung.due_in_days, client_ref=rung.idempotency_key
        )
        await save_intent(
            trial.trial_id, rung.idempotency_key, "work_item", order.model_dump_json()
        )
        item = await create_work_item(trial.vendor, order, rung.idempotency_key)
        await record_submission(rung, rung.idempotency_key, item)

        item = await wait_for_delivery(trial.vendor, item.id, wait_seconds)
        if item.status is not WorkStatus.DELIVERED:
            await set_waiting(slug, f"vendor to deliver {rung.rung_key} ({item.status})")
            return WAITING
        await archive_deliverables(trial, rung, item.id)
        rung = rung.model_copy(update={"vendor_ref": item.id})
        await record_delivery(trial, rung, item)
        outcomes = await measure_deliverables(trial, rung)
        await record_deliverables(trial, rung, outcomes, item.delivered_at)
        if uses_tickets(trial.expectations):
            window = (item.created_at, item.delivered_at or item.created_at)
            await record_tickets(trial, rung, await read_tickets(trial.vendor, slug), window)

        review = await read_acceptance(trial, rung.rung_key)
        if review.due and not await settle_acceptance(
            review, decisions, decision_timeout, how_to_wait(decisions)
        ):
            return WAITING  # not reviewed (in time): `trials review` or the form lets it on
        gate = await read_gate_inputs(trial)
        await _announce_crossings(trial, gate.spent)
        card = scorecard(trial.expectations, gate.measured, gate.rungs_done, date.today())
        if missed := missed_reasons(card):
            await stop_ladder(rung, missed)
            announce("trials.ladder.stopped", slug, {"rung": rung.rung_key, "reasons": missed})
            break
        await mark_rung(rung, "accepted")
        announce("trials.rung.completed", slug, {"rung": rung.rung_key, "spent": str(gate.spent)})
        await show_progress(progress, number + 1, len(rungs))
    await move_phase(
        slug, Phase.EVALUATING, "the ladder ended: climbed every rung or stopped at a gate"
    )
    return Phase.EVALUATING


async def _announce_crossings(trial: TrialContext, spent: Decimal) -> None:
    """Announce each budget threshold the spend has crossed, once: recorded, emitted, noted."""
    marks = crossed(
        thresholds(trial.engagement, trial.budget.estimate, trial.cap, trial.plan.currency), spent
    )
    if not marks:
        return
    alerts = await record_crossings(trial, marks, spent)
    for alert in alerts:  # sent, then marked: a kill between sends it again (at least once)
        await send_event(
            BUDGET_THRESHOLD,
            trial.slug,
            {
                "threshold": alert.key,
                "amount": str(alert.threshold),
                "spent": str(alert.spent),
                "currency": alert.currency,
                "message": alert.message,
            },
        )
    if alerts:
        await mark_announced(alerts)


async def settle_cap(
    request: CapRequest, decisions: str, timeout: int, how: str, *, first_stop: bool = False
) -> bool:
    """Have a decision on record at the budget-cap gate; False while nobody has decided.

    The run that reaches the gate asks; under a deployment, the trial's own run suspends
    at it instead (`flows.trial`). On the `first_stop` there (the trial was not waiting at
    the gate yet), `trials.budget.gate` is emitted first.
    """
    if await decision_on_record(request.trial_id, request.gate) is not None:
        return True
    if first_stop:
        announce(
            "trials.budget.gate",
            request.slug,
            {"rung": request.rung, "gate": request.gate, "reason": request.rationale},
        )
    if decisions == "auto":
        answer: CapInput | None = CapInput(
            choice=request.advice, reason=request.rationale, decided_by=POLICY
        )
    else:
        answer = await ask(
            CapInput.at(request),
            slug=request.slug,
            gate=request.gate,
            waiting_for=WAITING_FOR_CAP,
            briefing=_briefing(request),
            timeout=timeout,
            how=how,
            advice=request.advice,
            choice=request.advice,
            reason=request.rationale,
            decided_by=get_settings().actor,
        )
    if answer is None:
        return False
    try:
        check_new_cap(request, answer.choice, answer.new_cap)
    except TrialsError as refused:  # from the UI's form: the trial goes on waiting
        get_run_logger().warning("The answer at %s is refused: %s", request.gate, refused)
        return False
    await record_decision(
        request.trial_id,
        request.gate,
        answer.choice,
        request.advice,
        answer.reason,
        answer.decided_by,
        request.evidence(answer.new_cap),
    )
    return True


def _briefing(request: CapRequest) -> str:
    """What the form says above its fields: the stop, the money, and the three ways on."""
    show = partial(money, currency=request.currency)
    return (
        f"**{request.slug}** stopped before **{request.rung}** at the budget cap: "
        f"{request.rationale}.\n\n"
        f"| spent | {request.rung} forecast | needed | cap |\n|---|---|---|---|\n"
        f"| {show(request.spent)} | {show(request.forecast)} | {show(request.needed)} "
        f"| {show(request.cap)} |\n\n"
        "**raise-cap** needs `new_cap` of at least the amount needed, and a reason. "
        "**rescope** stops the ladder here and evaluates the rungs done. **exit** runs the "
        f"exit plan. The budget is the artifact `budget-{request.slug}`."
    )
