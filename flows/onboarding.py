"""Onboarding: the vendor's API and auth checked, its access recorded, expectations acknowledged,
the budget approved by a person."""

from __future__ import annotations

from prefect import flow

from adapters.contract import AckRequest, ExpectationTerms
from config import get_settings
from flows.gates import GateInput, ask, how_to_wait
from models.approval import (
    PHASE_AFTER_APPROVAL,
    WAITING_FOR_APPROVAL,
    Approval,
    BudgetRequest,
    approval_gate,
    budget_request,
)
from models.context import TrialContext
from models.evaluation import check_mode, engagement_terms
from models.gate_kinds import POLICY
from models.keys import idempotency_key
from models.money import money
from models.override_index import expectation_area
from models.phases import Phase
from tasks.connection import ensure_vendor_limit
from tasks.reporting import label_run
from tasks.trial_state import (
    decision_on_record,
    load_trial,
    move_phase,
    record_decision,
    record_grants,
    save_intent,
    save_outcome,
    set_waiting,
)
from tasks.vendor import acknowledge, check_api


class ApprovalInput(GateInput):
    """The decision at the budget-approval gate: the form in the Prefect UI, or `trials decide`."""

    choice: Approval


@flow(name="onboarding", flow_run_name="onboarding-{slug}")
async def onboarding(slug: str, decisions: str = "ask", decision_timeout: int = 3600) -> str | None:
    """Check the vendor, record its grants, have expectations acknowledged, approve the budget.

    `decisions` is "ask" (pause for a person: the UI's form or `trials decide`), "auto"
    (approve a budget that covers the ladder under its cap; anything else waits for a
    person) or "defer" (end the run at the gate; `trials decide` records the decision).
    Returns the approval decided, or None while the trial waits for it.
    """
    await label_run(await load_trial(slug), Phase.ONBOARDING)
    return await onboard(slug, decisions, decision_timeout)


async def onboard(slug: str, decisions: str, decision_timeout: int) -> str | None:
    """The onboarding's steps in the run that calls them: its own, or the trial's run,
    which runs each phase in itself rather than as a flow run of its own."""
    check_mode(decisions)
    trial = await load_trial(slug)
    if trial.phase not in (Phase.DRAFT, Phase.ONBOARDING):
        decided = await decision_on_record(trial.trial_id, approval_gate(1))  # onboarded before
        return None if decided is None else decided.choice
    await move_phase(slug, Phase.ONBOARDING, "trial started")
    await ensure_vendor_limit(trial.vendor)
    await check_api(trial.vendor)
    grants = await record_grants(trial)
    acknowledged = await acknowledge_expectations(trial, Phase.ONBOARDING)

    request = budget_request(slug, trial.trial_id, trial.plan)
    if not await settle_budget(request, decisions, decision_timeout, how_to_wait(decisions)):
        return None  # nobody decided (in time): the trial waits for `trials decide`
    decided = await decision_on_record(trial.trial_id, request.gate)  # the first one wins
    assert decided is not None
    choice = Approval(decided.choice)
    await set_waiting(slug, None)
    await move_phase(
        slug,
        PHASE_AFTER_APPROVAL[choice],
        f"onboarded: {len(grants)} access grants on the exit plan, {acknowledged} "
        f"expectations acknowledged; budget {choice}d by {decided.decided_by}: {decided.reason}",
    )
    return choice


async def acknowledge_expectations(trial: TrialContext, phase: Phase) -> int:
    """Send the current engagement's expectations for the vendor's acknowledgement, once;
    how many it acknowledged. Onboarding sends the pilot's, expansion the larger
    engagement's, which the vendor then measures its work against."""
    terms = AckRequest(
        expectations=[
            ExpectationTerms(
                id=e.id,
                metric=e.metric,
                comparator=e.comparator,
                target=e.target,
                unit=e.unit,
                area=expectation_area(e, trial.plan.authority),
            )
            for e in engagement_terms(trial.plan, trial.engagement).expectations
        ]
    )
    key = idempotency_key(trial.slug, trial.engagement, phase, "acknowledge")
    await save_intent(trial.trial_id, key, "acknowledge", terms.model_dump_json())
    ack = await acknowledge(trial.vendor, trial.slug, terms, key)
    await save_outcome(key, ack.trial, ack.model_dump_json())
    return len(ack.acknowledged)


async def settle_budget(request: BudgetRequest, decisions: str, timeout: int, how: str) -> bool:
    """Have a decision on record at the budget-approval gate; False while nobody has decided.

    The run that reaches the gate asks; under a deployment, the trial's own run suspends
    at it instead (`flows.trial`).
    """
    if await decision_on_record(request.trial_id, request.gate) is not None:
        return True
    if decisions == "auto" and request.advice is not None:
        answer: ApprovalInput | None = ApprovalInput(
            choice=request.advice, reason=request.rationale, decided_by=POLICY
        )
    else:
        answer = await _ask(request, timeout, how)
    if answer is None:
        return False
    await record_decision(
        request.trial_id,
        request.gate,
        answer.choice,
        request.advice,
        answer.reason,
        answer.decided_by,
        request.evidence(),
    )
    return True


async def _ask(request: BudgetRequest, timeout: int, how: str) -> ApprovalInput | None:
    """A person's answer at the budget-approval gate, the engine's advice prefilled."""
    return await ask(
        ApprovalInput,
        slug=request.slug,
        gate=request.gate,
        waiting_for=WAITING_FOR_APPROVAL,
        briefing=_briefing(request),
        timeout=timeout,
        how=how,
        advice=request.advice,
        choice=request.advice or Approval.REJECT,
        reason=request.rationale,
        decided_by=get_settings().actor,
    )


def _briefing(request: BudgetRequest) -> str:
    """What the form says above its fields: the budget asked for, and the engine's advice."""
    advice = (
        f"the engine advises **{request.advice}**"
        if request.advice
        else "the engine leaves it to you"
    )
    rungs = "\n".join(
        f"| {r.id} | {r.hours} | {money(r.cost, request.currency)} | {r.due_in_days} |"
        for r in request.totals.rungs
    )
    return (
        f"**{request.slug}**: approve the pilot's budget? {advice}: {request.rationale}.\n\n"
        f"| rung | hours | cost ({request.currency}) | due in days |\n|---|---|---|---|\n"
        f"{rungs}\n\nRejecting ends the trial: its exit plan revokes the vendor's access."
    )
