"""The whole trial: each phase in turn, as far as the trial can go now, in one flow run.

The phases run in this run, not as subflows: a flow run of its own costs about eight
requests to Prefect's API, and the eighteen of `trials demo` took about a fifth of its time.
Each phase's flow (`flows/onboarding.py` and the rest) runs the same steps in a run of its own,
for its deployment, the bake-off and the tests.
"""

from __future__ import annotations

from collections import Counter

from prefect import flow
from prefect.context import FlowRunContext

from flows.acceptance import settle_acceptance
from flows.evaluation import evaluate, settle_decision
from flows.exit import run_exit
from flows.expansion import expand
from flows.gates import SUSPEND
from flows.ladder import WAITING, climb, settle_cap
from flows.onboarding import onboard, settle_budget
from models.approval import budget_request
from models.phases import TERMINAL, Phase
from tasks.bakeoff import awaits_selection
from tasks.budget import read_cap_stop
from tasks.evaluation import assess
from tasks.reporting import label_run
from tasks.reviews import read_acceptance_stop
from tasks.trial_state import load_trial

# Evaluations of one engagement in one run: extended again and again, a person should look.
MAX_EVALUATIONS_PER_RUN = 2


@flow(name="trial", flow_run_name="trial-{slug}")
async def trial(
    slug: str, decisions: str = "ask", wait_seconds: float = 300.0, decision_timeout: int = 3600
) -> str:
    """Carry the trial through onboarding, the ladder, evaluation, then exit or expansion.

    `decisions` is "ask", "auto" or "defer", as for the phase flows. Asking under a
    deployment, this run suspends at a gate: its process ends, and the server reschedules
    the run once the form in the UI or `trials decide` answers, so a trial waiting for a
    person holds no worker.
    """
    await label_run(await load_trial(slug))
    suspend = decisions == "ask" and deployed()
    return await _carry(
        slug, "defer" if suspend else decisions, wait_seconds, decision_timeout, suspend
    )


async def _carry(
    slug: str, decisions: str, wait_seconds: float, decision_timeout: int, suspend: bool
) -> str:
    """Run the phases in turn until the trial waits or ends; an expansion carries on
    into the new engagement's ladder. Evaluations are counted per engagement."""
    evaluations: Counter[int] = Counter()
    while (phase := (state := await load_trial(slug)).phase) not in TERMINAL:
        evaluations[state.engagement] += phase is Phase.EVALUATING
        if evaluations[state.engagement] > MAX_EVALUATIONS_PER_RUN:
            return WAITING  # extended again and again: a person should look at it
        outcome = await _phase(slug, phase, decisions, wait_seconds, decision_timeout)
        if outcome == WAITING and suspend and await _suspend_at_gate(slug):
            continue  # answered: the phase applies the decision now on record
        if outcome is not None:
            return outcome
    return phase


def deployed() -> bool:
    """Whether this run was made from a deployment, and so may suspend."""
    context = FlowRunContext.get()
    return bool(context and context.flow_run and context.flow_run.deployment_id)


async def _suspend_at_gate(slug: str) -> bool:
    """Suspend this run at the gate the trial waits at; True once a decision is on record."""
    trial = await load_trial(slug)
    if trial.phase is Phase.ONBOARDING:  # at the budget approval
        request = budget_request(slug, trial.trial_id, trial.plan)
        return await settle_budget(request, "ask", 0, SUSPEND)
    if trial.phase is Phase.EVALUATING and await awaits_selection(slug):
        return False  # a bake-off's vendor: its bake-off's run asks for the selection
    if trial.phase is Phase.EVALUATING:  # at the evaluation's decision
        return await settle_decision(await assess(slug), "ask", 0, SUSPEND)
    if trial.phase is Phase.PILOTING and (review := await read_acceptance_stop(slug)) is not None:
        return await settle_acceptance(review, "ask", 0, SUSPEND)  # at a rung's acceptance
    if trial.phase is Phase.PILOTING and (stop := await read_cap_stop(slug)) is not None:
        return await settle_cap(stop, "ask", 0, SUSPEND)  # at the budget cap
    return False  # waiting for the vendor: the monitor carries it on


async def _phase(
    slug: str, phase: Phase, decisions: str, wait_seconds: float, decision_timeout: int
) -> str | None:
    """Run one phase's steps in this run; a string means the run stops there."""
    if phase in (Phase.DRAFT, Phase.ONBOARDING):
        if await onboard(slug, decisions, decision_timeout) is None:
            return WAITING
    elif phase is Phase.PILOTING:
        if await climb(slug, wait_seconds, decisions, decision_timeout) == WAITING:
            return WAITING
    elif phase is Phase.EVALUATING:
        if await awaits_selection(slug):  # a bake-off's selection decides it (flows.bakeoff)
            return WAITING
        if await evaluate(slug, decisions, decision_timeout) is None:
            return WAITING
    elif phase is Phase.EXPANDING:
        await expand(slug)  # then the larger engagement's ladder, in this run
    elif phase is Phase.EXITING:
        await run_exit(slug)
    return None
