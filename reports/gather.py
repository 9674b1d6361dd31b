"""What a trial report holds, read from the store in one session: no vendor call, no Prefect."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from models.budget import BudgetReport, budget_report
from models.errors import TrialsError
from models.evaluation import Evaluation, RungRecord, evaluate
from models.exit_readiness import ExitReadiness
from models.exit_rules import ExitReport
from models.phases import Phase
from models.plan import Plan
from models.tables import Decision, Vendor, utcnow
from store.budget import budget_facts
from store.directives import GivenDirective, trial_directives
from store.evaluation import evaluation_facts
from store.exits import exit_report, latest_rehearsal
from store.trials import get_trial

EXITED = frozenset({Phase.EXITING, Phase.CLOSED, Phase.ABORTED})


class DecisionLine(BaseModel):
    """A decision at a gate, as the report lists it."""

    gate: str
    choice: str
    recommendation: str | None
    decided_by: str
    decided_at: datetime
    reason: str
    new_cap: str | None = None


class TrialReport(BaseModel):
    """Everything the trial report shows."""

    slug: str
    title: str
    vendor: str
    phase: Phase
    engagement: int
    currency: str
    generated_at: datetime
    plan: Plan
    timeline: list[RungRecord]
    evaluation: Evaluation
    budget: BudgetReport
    directives: list[GivenDirective]
    decisions: list[DecisionLine]
    exit: ExitReport | None  # once the trial is exiting or done
    readiness: ExitReadiness | None  # the latest rehearsal, while the trial goes on

    @property
    def exited(self) -> bool:
        """Whether the report shows the exit's result rather than its readiness."""
        return self.phase in EXITED


def gather(*, session: Session, slug: str) -> TrialReport:
    """The report of a trial that has started; refused for a draft, with what to do."""
    trial = get_trial(session=session, slug=slug)
    assert trial.id is not None
    if Phase(trial.phase) is Phase.DRAFT:
        raise TrialsError(
            f"Trial '{slug}' has not started, so there is nothing to report yet: no rung, no "
            f"cost, no decision. Start it with `trials run {slug}` (or `trials start {slug}` "
            f"with a server), then ask again; `trials show {slug}` shows its plan meanwhile."
        )
    facts = evaluation_facts(session=session, slug=slug)
    rows = session.exec(
        select(Decision).where(Decision.trial_id == trial.id).order_by(col(Decision.id))
    ).all()
    phase = Phase(trial.phase)
    return TrialReport(
        slug=slug,
        title=facts.plan.title or slug,
        vendor=session.get_one(Vendor, trial.vendor_id).name,
        phase=phase,
        engagement=trial.engagement,
        currency=trial.currency,
        generated_at=utcnow(),
        plan=facts.plan,
        timeline=facts.rungs,
        evaluation=evaluate(facts, utcnow().date()),
        budget=budget_report(budget_facts(session=session, slug=slug)),
        directives=trial_directives(session=session, trial_id=trial.id),
        decisions=[
            DecisionLine(
                gate=row.gate,
                choice=row.choice,
                recommendation=row.recommendation,
                decided_by=row.decided_by,
                decided_at=row.decided_at,
                reason=row.reason,
                new_cap=json.loads(row.evidence_json).get("new_cap"),
            )
            for row in rows
        ],
        exit=exit_report(session=session, slug=slug) if phase in EXITED else None,
        readiness=None if phase in EXITED else latest_rehearsal(session=session, trial_id=trial.id),
    )
