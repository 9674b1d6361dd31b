"""Evaluation: a weighted scorecard, the budget forecast, a recommendation, a human decision."""

from __future__ import annotations

from copy import copy
from typing import Annotated, Any

from prefect import flow
from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import apause_flow_run
from prefect.input import RunInput
from pydantic import Field, create_model

from config import get_settings
from models.evaluation import (
    WAITING_FOR_DECISION,
    Evaluation,
    check_choice,
    check_mode,
    pause_key,
)
from models.gates import Choice
from models.phases import Phase
from tasks.evaluation import (
    announce_recommendation,
    apply_decision_at,
    assess,
    decision_on_record,
    publish_budget,
    publish_scorecard,
)
from tasks.reporting import label_run
from tasks.trial_state import load_trial, record_decision, set_waiting

POLICY = "policy"
Said = Annotated[str, Field(min_length=1, pattern=r"\S")]


class DecisionInput(RunInput):
    """The decision at the evaluation gate: the form in the Prefect UI, or `trials decide`."""

    choice: Choice
    reason: Annotated[Said, Field(description="Why: recorded with the decision.")]
    decided_by: Annotated[Said, Field(description="Who decides.")]

    @classmethod
    def with_initial_data(
        cls, description: str | None = None, **kwargs: Any
    ) -> type[DecisionInput]:
        """The form prefilled with `kwargs`, keeping the rules that Prefect's version drops."""
        # The server checks an answer against the form's schema, so a blank reason is refused.
        fields: dict[str, Any] = {}
        for name, value in kwargs.items():
            field = copy(cls.model_fields[name])
            field.default = value
            fields[name] = (field.annotation, field)
        form = create_model(cls.__name__, __base__=cls, **fields)
        if description is not None:
            form._description = description
        return form


@flow(name="evaluation", flow_run_name="evaluation-{slug}")
async def evaluation(slug: str, decisions: str = "ask", decision_timeout: int = 3600) -> str | None:
    """Score the engagement, forecast its cost, recommend, then apply the decision taken.

    `decisions` is "ask" (pause for a person: the UI's form or `trials decide`) or "auto"
    (take the recommendation).
    """
    check_mode(decisions)
    await label_run(await load_trial(slug), Phase.EVALUATING)
    result = await assess(slug)
    await publish_scorecard(result)
    await publish_budget(result)
    announce_recommendation(result)

    if await decision_on_record(result.trial_id, result.gate) is None:
        answer = _policy(result) if decisions == "auto" else await _ask(result, decision_timeout)
        if answer is None:
            return None  # nobody decided in time: the trial waits for `trials decide`
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
    choice = await apply_decision_at(slug, result.gate)  # the first decision recorded wins
    await set_waiting(slug, None)
    return choice


def _policy(result: Evaluation) -> DecisionInput:
    """The recommendation, taken as the decision."""
    return DecisionInput(
        choice=result.recommendation.choice, reason=result.rationale, decided_by=POLICY
    )


async def _ask(result: Evaluation, timeout: int) -> DecisionInput | None:
    """Pause for a person's decision, the recommendation prefilled; None if none came in time."""
    await set_waiting(result.slug, WAITING_FOR_DECISION)
    form = DecisionInput.with_initial_data(
        description=_briefing(result),
        choice=result.recommendation.choice,
        reason=result.rationale,
        decided_by=get_settings().actor,
    )
    try:
        return await apause_flow_run(
            wait_for_input=form, timeout=timeout, poll_interval=2, key=pause_key(result.gate)
        )
    except FlowPauseTimeout:
        return None


def _briefing(result: Evaluation) -> str:
    """What the form says above its fields: the recommendation and why."""
    reasons = "\n".join(f"- {line}" for line in result.recommendation.rationale)
    return (
        f"**{result.slug}** at {result.gate}: the engine recommends "
        f"**{result.recommendation.choice}**.\n\n{reasons}\n\nThe scorecard and the budget "
        f"are the artifacts `scorecard-{result.slug}` and `budget-{result.slug}`."
    )
