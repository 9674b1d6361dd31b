"""What a what-if re-scoring reads: the evaluation's facts and the decision on record."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.evaluation import EvaluationFacts
from models.tables import Decision
from store.evaluation import evaluation_facts


def rescore_inputs(*, session: Session, slug: str) -> tuple[EvaluationFacts, str | None]:
    """The current engagement's facts, and its latest evaluation decision in words, if any."""
    facts = evaluation_facts(session=session, slug=slug)
    decision = session.exec(
        select(Decision)
        .where(
            Decision.trial_id == facts.trial_id,
            col(Decision.gate).startswith(f"evaluation:e{facts.engagement}:"),
        )
        .order_by(col(Decision.id).desc())
    ).first()
    if decision is None:
        return facts, None
    return facts, f"{decision.choice} at {decision.gate}, by {decision.decided_by}"
