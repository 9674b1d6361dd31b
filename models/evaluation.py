"""Evaluation rules: what an engagement is judged on, its schedule, and the recommendation."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel

from models.budget import BudgetStatus, budget_status, rung_done
from models.errors import PlanError, TransitionError, TrialsError
from models.evidence import Measured
from models.gates import Choice, Recommendation, parse_choice, recommend
from models.money import money
from models.override_index import (
    Override,
    OverrideIndex,
    came_due_at,
    expectation_area,
    index_line,
    override_index,
    temper,
)
from models.phases import Phase
from models.plan import Budget, Expectation, Gates, Plan, Rung
from models.scoring import ScoreLine, scorecard

WAITING_FOR_DECISION = "decision at evaluation"
DECISION_MODES = ("ask", "auto", "defer")
PHASE_AFTER: dict[Choice, Phase] = {
    Choice.EXPAND: Phase.EXPANDING,
    Choice.EXTEND: Phase.PILOTING,
    Choice.EXIT: Phase.EXITING,
}
RUNG_KEY_MAX = 63
DAY = Decimal(86400)


class Terms(BaseModel):
    """What an engagement is judged on: its expectations, its planned ladder, its budget."""

    title: str
    expectations: list[Expectation]
    ladder: list[Rung]
    budget: Budget


class RungRecord(BaseModel):
    """A rung as stored: its estimate, where it stands, and when it ran."""

    key: str
    title: str
    position: int
    hours: Decimal
    estimate: Decimal
    due_in_days: int
    status: str
    submitted_at: datetime | None = None
    completed_at: datetime | None = None  # on the vendor's clock
    recorded_at: datetime | None = None  # the delivery, as the engine recorded it

    @property
    def done(self) -> bool:
        """Delivered or accepted; a rung stopped at the gate after its delivery counts too."""
        return rung_done(self.status, self.completed_at)


class EvaluationFacts(BaseModel):
    """What the store holds about the engagement under evaluation."""

    slug: str
    trial_id: int
    phase: Phase
    engagement: int
    currency: str
    cap: Decimal
    plan: Plan
    rungs: list[RungRecord]
    measured: dict[str, list[Measured]]  # every reading of each metric, oldest first
    actual: Decimal  # timesheet amounts on the engagement's rungs
    overrides: list[Override]
    directives: int = 0  # every directive the client gave, overrides included

    @property
    def terms(self) -> Terms:
        """The expectations, ladder and budget of the engagement."""
        return engagement_terms(self.plan, self.engagement)

    @property
    def gate(self) -> str:
        """The evaluation gate now open: one more after each extension of the ladder."""
        planned = {rung.id for rung in self.terms.ladder}
        extensions = [r for r in self.rungs if r.key not in planned]
        return f"evaluation:e{self.engagement}:{len(extensions) + 1}"

    @property
    def can_expand(self) -> bool:
        """Whether an expansion is left to open: the plan has one, and it is not open yet."""
        return self.plan.expansion is not None and self.engagement == 1


class RungSchedule(BaseModel):
    """How late a rung done was against its due date; negative is early."""

    rung: str
    days_late: Decimal


class Evaluation(BaseModel):
    """The scorecard, budget status, schedule, overrides and recommendation at a gate."""

    slug: str
    trial_id: int
    engagement: int
    gate: str
    currency: str
    cap: Decimal
    gates: Gates
    score: Decimal | None
    scorecard: list[ScoreLine]
    budget: BudgetStatus
    schedule: list[RungSchedule]
    days_late: Decimal
    overrides: list[Override]
    override_index: OverrideIndex
    recommendation: Recommendation
    can_expand: bool

    @property
    def for_a_person(self) -> bool:
        """Whether the recommendation is one `auto` leaves to a person: the vendor scores
        high enough to expand, but the plan has no engagement left to open (none at all,
        or the expansion already opened). Extending is then no finding about the vendor;
        renewing, extending or exiting is a person's call."""
        return (
            not self.can_expand
            and self.recommendation.choice is Choice.EXTEND
            and self.score is not None
            and self.score >= self.gates.expand_at_score
        )

    @property
    def rationale(self) -> str:
        """The recommendation's reasons, as one line."""
        return "; ".join(self.recommendation.rationale)

    def check_answer(self, choice: str, value: str | None) -> None:
        """Refuse a choice the gate does not take, and expanding with no expansion left."""
        if value is not None:
            raise TrialsError("--cap goes with raise-cap at the budget cap, not the evaluation.")
        check_choice(self, parse_choice(choice))

    def evidence(self) -> dict[str, object]:
        """What a decision at this gate is recorded with."""
        return {
            **self.model_dump(mode="json", exclude={"slug", "trial_id", "can_expand"}),
            "overrides_count": len(self.overrides),
        }


def engagement_terms(plan: Plan, engagement: int) -> Terms:
    """The pilot's terms for engagement 1; the plan's expansion for engagement 2."""
    if engagement == 1:
        return Terms(
            title=plan.title or plan.trial,
            expectations=plan.expectations,
            ladder=plan.pilot,
            budget=plan.budget,
        )
    if plan.expansion is None:
        raise PlanError(
            f"Trial '{plan.trial}' has no expansion in its plan, so there is no engagement "
            f"{engagement} to open. Decide extend or exit, or start a new trial whose plan "
            "has an `expansion:` section."
        )
    return Terms(
        title=plan.expansion.title,
        expectations=plan.expansion.expectations,
        ladder=plan.expansion.pilot,
        budget=plan.expansion.budget,
    )


def schedule_variance(rungs: list[RungRecord]) -> list[RungSchedule]:
    """Days late (negative: early) of each rung done, due `due_in_days` after submission."""
    return [
        RungSchedule(
            rung=r.key, days_late=_days_late(r.submitted_at, r.completed_at, r.due_in_days)
        )
        for r in rungs
        if r.done and r.submitted_at is not None and r.completed_at is not None
    ]


def _days_late(submitted: datetime, completed: datetime, due_in_days: int) -> Decimal:
    late = completed - (submitted + timedelta(days=due_in_days))
    return (Decimal(str(late.total_seconds())) / DAY).quantize(Decimal("0.1"))


def evaluate(facts: EvaluationFacts, today: date) -> Evaluation:
    """Score the engagement, forecast its cost, time its rungs, and recommend."""
    terms = facts.terms
    done = [r for r in facts.rungs if r.done]
    card = scorecard(
        terms.expectations,
        facts.measured,
        [r.key for r in done],
        today,
        facts.plan.gates.evidence_tolerance,
    )
    budget = budget_status(
        planned=sum((r.estimate for r in facts.rungs), Decimal(0)),
        earned=sum((r.estimate for r in done), Decimal(0)),
        actual=facts.actual,
        currency=facts.currency,
    )
    schedule = schedule_variance(facts.rungs)
    days_late = sum((s.days_late for s in schedule), Decimal(0))
    advice = recommend(
        card, facts.plan.gates, budget.forecast, facts.cap, facts.can_expand, facts.currency
    )
    index = override_index(
        facts.directives,
        facts.overrides,
        card,
        {e.id: expectation_area(e, facts.plan.authority) for e in terms.expectations},
        {e.id: came_due_at(e, {r.key: r.recorded_at for r in done}) for e in terms.expectations},
    )
    advice = temper(advice, card, index, facts.plan.gates, over_budget=budget.forecast > facts.cap)
    context = _context(budget, facts.cap, facts.currency, schedule, days_late, index)
    return Evaluation(
        slug=facts.slug,
        trial_id=facts.trial_id,
        engagement=facts.engagement,
        gate=facts.gate,
        currency=facts.currency,
        cap=facts.cap,
        gates=facts.plan.gates,
        score=card.score,
        scorecard=card.lines,
        budget=budget,
        schedule=schedule,
        days_late=days_late,
        overrides=facts.overrides,
        override_index=index,
        recommendation=advice.model_copy(update={"rationale": advice.rationale + context}),
        can_expand=facts.can_expand,
    )


def _context(
    budget: BudgetStatus,
    cap: Decimal,
    currency: str,
    schedule: list[RungSchedule],
    days_late: Decimal,
    index: OverrideIndex,
) -> list[str]:
    """The budget, schedule and overrides, in words, beside the score's reasons."""
    lines = [
        f"forecast at completion {money(budget.forecast, currency)} {currency} against "
        f"{money(budget.planned, currency)} planned (variance {money(budget.variance, currency)}, "
        f"cap {money(cap, currency)})"
    ]
    if budget.earned > 0 and budget.actual == 0:
        lines.append(
            "no timesheet is recorded for the rungs done, so the forecast omits their cost"
        )
    if schedule:
        when = (
            "on time"
            if days_late == 0
            else f"a net {abs(days_late)} days " + ("late" if days_late > 0 else "early")
        )
        lines.append(f"the {len(schedule)} rungs done finished {when}")
    if (overrides := index_line(index)) is not None:
        lines.append(overrides)
    return lines


def require_phase(slug: str, phase: Phase, expected: Phase, why: str) -> None:
    """Refuse, saying why, unless the trial is in `expected`."""
    if phase is not expected:
        raise TransitionError(
            f"Trial '{slug}' is {phase}, not {expected}: {why}. `trials show {slug}` "
            "shows where it stands."
        )


def check_choice(evaluation: Evaluation, choice: Choice) -> None:
    """Refuse to expand when there is no expansion left to open."""
    if choice is Choice.EXPAND and not evaluation.can_expand:
        raise TransitionError(
            f"Trial '{evaluation.slug}' cannot expand: its plan has no expansion left to open "
            f"(engagement {evaluation.engagement}). Decide extend or exit."
        )


def check_mode(decisions: str) -> None:
    """Refuse a decision mode other than "ask", "auto" or "defer"."""
    if decisions not in DECISION_MODES:
        raise TrialsError(
            f"decisions={decisions!r} is not a decision mode: use 'ask' to pause for a person, "
            "'auto' to take the recommendation, or 'defer' to end the run at the gate and "
            "leave the decision to `trials decide`."
        )


def pause_key(gate: str) -> str:
    """The Prefect pause key of a gate: lowercase letters, digits and dashes only."""
    return gate.replace(":", "-")


def extension_key(last: str, number: int) -> str:
    """The key of the n-th extra rung that repeats `last`, within the rung key's length."""
    suffix = f"-x{number}"
    return last[: RUNG_KEY_MAX - len(suffix)] + suffix
