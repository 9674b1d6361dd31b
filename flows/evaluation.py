"""Evaluation: a weighted scorecard, the budget forecast, a recommendation, a human decision."""

from __future__ import annotations

from prefect import flow

from config import get_settings
from flows.gates import NO_WAIT, GateInput, ask, how_to_wait
from models.evaluation import WAITING_FOR_DECISION, Evaluation, check_choice, check_mode
from models.gate_kinds import POLICY
from models.gates import Choice
from models.phases import Phase
from tasks.evaluation import (
    announce_recommendation,
    apply_decision_at,
    assess,
    publish_budget,
    publish_scorecard,
)
from tasks.reporting import label_run
from tasks.trial_state import decision_on_record, load_trial, record_decision, set_waiting


class DecisionInput(GateInput):
    """The decision at the evaluation gate: the form in the Prefect UI, or `trials decide`."""

    choice: Choice


@flow(name="evaluation", flow_run_name="evaluation-{slug}")
async def evaluation(slug: str, decisions: str = "ask", decision_timeout: int = 3600) -> str | None:
    """Score the engagement, forecast its cost, recommend, then apply the decision taken.

    `decisions` is "ask" (pause for a person: the UI's form or `trials decide`), "auto"
    (take the recommendation, unless it is left to a person: `Evaluation.for_a_person`) or
    "defer" (end the run at the gate; `trials decide` records the decision for the next run).
    """
    await label_run(await load_trial(slug), Phase.EVALUATING)
    return await evaluate(slug, decisions, decision_timeout)


async def evaluate(slug: str, decisions: str, decision_timeout: int) -> str | None:
    """The evaluation's steps in the run that calls them: its own, or the trial's run."""
    check_mode(decisions)
    result = await assess(slug)
    await publish_scorecard(result)
    await publish_budget(result)
    announce_recommendation(result)

    if not await settle_decision(result, decisions, decision_timeout, how_to_wait(decisions)):
        return None  # nobody decided (in time): the trial waits for `trials decide`
    choice = await apply_decision_at(slug, result.gate)  # the first decision recorded wins
    await set_waiting(slug, None)
    return choice


async def settle_decision(result: Evaluation, decisions: str, timeout: int, how: str) -> bool:
    """Have a decision on record at the evaluation gate; False while nobody has decided.

    The run that reaches the gate asks; under a deployment, the trial's own run suspends
    at it instead (`flows.trial`).
    """
    if await decision_on_record(result.trial_id, result.gate) is not None:
        return True
    if decisions == "auto" and not result.for_a_person:
        answer: DecisionInput | None = _policy(result)
    else:  # under "auto", an advice left to a person waits for `trials decide`
        answer = await _ask(result, timeout, NO_WAIT if decisions == "auto" else how)
    if answer is None:
        return False
    check_choice(result, answer.choice)
    await record_decision(
        result.trial_id,
        result.gate,
        answer.choice,
        result.recommendation.choice,
        answer.reason,
        answer.decided_by,
        result.evidence(),
    )
    return True


def _policy(result: Evaluation) -> DecisionInput:
    """The recommendation, taken as the decision."""
    return DecisionInput(
        choice=result.recommendation.choice, reason=result.rationale, decided_by=POLICY
    )


async def _ask(result: Evaluation, timeout: int, how: str) -> DecisionInput | None:
    """Pause for a person's decision, the recommendation prefilled; None if none came in time."""
    return await ask(
        DecisionInput,
        slug=result.slug,
        gate=result.gate,
        waiting_for=WAITING_FOR_DECISION,
        briefing=_briefing(result),
        timeout=timeout,
        how=how,
        advice=result.recommendation.choice,
        choice=result.recommendation.choice,
        reason=result.rationale,
        decided_by=get_settings().actor,
    )


def _briefing(result: Evaluation) -> str:
    """What the form says above its fields: the recommendation and why."""
    reasons = "\n".join(f"- {line}" for line in result.recommendation.rationale)
    return (
        f"**{result.slug}** at {result.gate}: the engine recommends "
        f"**{result.recommendation.choice}**.\n\n{reasons}\n\nThe scorecard and the budget "
        f"are the artifacts `scorecard-{result.slug}` and `budget-{result.slug}`."
    )
