"""The gate a trial waits at for a person, worked out again from the store: the budget
approval at onboarding, a delivered rung's acceptance or the budget cap while piloting, or
the evaluation (models.gate_kinds)."""

from __future__ import annotations

from pydantic import BaseModel
from sqlmodel import Session

from models.acceptance import AcceptanceRequest
from models.approval import BudgetRequest, budget_request
from models.cap import CapRequest
from models.evaluation import Evaluation, evaluate
from models.gate_kinds import GateKind, kind_of
from models.phases import Phase
from models.tables import utcnow
from store.budget import cap_stop
from store.context import load_context
from store.evaluation import evaluation_facts
from store.reviews import acceptance_stop


class OpenGate(BaseModel):
    """The gate a trial waits at, the flow that waits there, and the evidence for the record."""

    slug: str
    trial_id: int
    gate: str
    flow: str
    recommendation: str | None  # the engine's advice; None leaves it to the person
    evidence: dict[str, object]
    # what an answer there is checked against (`check_answer`), and what it is recorded with
    basis: BudgetRequest | CapRequest | AcceptanceRequest | Evaluation

    @property
    def kind(self) -> GateKind:
        """The gate's kind: its choices, and how to answer it."""
        return kind_of(self.gate)


def open_gate(*, session: Session, slug: str) -> OpenGate | None:
    """The gate open for the trial's phase now, with the engine's advice; None if there is
    none (a piloting trial not stopped at its cap, or a phase with no gate)."""
    trial = load_context(session=session, slug=slug)
    if trial.phase is Phase.ONBOARDING:
        request = budget_request(slug, trial.trial_id, trial.plan)
        return OpenGate(
            slug=slug,
            trial_id=trial.trial_id,
            gate=request.gate,
            flow="onboarding",
            recommendation=request.advice,
            evidence=request.evidence(),
            basis=request,
        )
    if trial.phase is Phase.PILOTING and (
        review := acceptance_stop(session=session, slug=slug, today=utcnow().date())
    ):
        return OpenGate(
            slug=slug,
            trial_id=review.trial_id,
            gate=review.gate,
            flow="ladder",
            recommendation=None,
            evidence=review.evidence(),
            basis=review,
        )
    if trial.phase is Phase.PILOTING and (stop := cap_stop(session=session, slug=slug)):
        return OpenGate(
            slug=slug,
            trial_id=stop.trial_id,
            gate=stop.gate,
            flow="ladder",
            recommendation=stop.advice,
            evidence=stop.evidence(),
            basis=stop,
        )
    if trial.phase is Phase.EVALUATING:
        evaluation = evaluate(evaluation_facts(session=session, slug=slug), utcnow().date())
        return OpenGate(
            slug=slug,
            trial_id=evaluation.trial_id,
            gate=evaluation.gate,
            flow="evaluation",
            recommendation=evaluation.recommendation.choice,
            evidence=evaluation.evidence(),
            basis=evaluation,
        )
    return None
