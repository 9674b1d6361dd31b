"""Evaluation and expansion tasks: read and evaluate the store, publish, apply decisions."""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from prefect import task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.cache_policies import NO_CACHE

from config import get_settings
from models.display import shown_value
from models.evaluation import Evaluation, evaluate, require_phase
from models.gates import Choice
from models.override_index import OverrideIndex
from models.phases import Phase
from models.tables import utcnow
from store.db import read_session, write_session
from store.decisions import apply_decision, open_expansion
from store.evaluation import evaluation_facts
from tasks.reporting import announce


async def assess(slug: str) -> Evaluation:
    """Evaluate the trial's engagement as stored: scorecard, budget, schedule, overrides."""
    with read_session() as session:
        facts = evaluation_facts(session=session, slug=slug)
    require_phase(slug, facts.phase, Phase.EVALUATING, "the evaluation runs once the ladder ends")
    return evaluate(facts, utcnow().date())


@task(cache_policy=NO_CACHE)
async def apply_decision_at(slug: str, gate: str) -> Choice:
    """Move the trial as the decision on record says, with one more rung when extending."""
    with write_session() as session:
        return apply_decision(session=session, slug=slug, gate=gate, actor=get_settings().actor)


@task(cache_policy=NO_CACHE)
async def open_engagement(slug: str) -> str:
    """Open the expansion's engagement: its rungs, expectations and budget; once."""
    with write_session() as session:
        return open_expansion(session=session, slug=slug, actor=get_settings().actor)


async def publish_scorecard(evaluation: Evaluation) -> UUID:
    """The scorecard, as a markdown artifact keyed by the trial."""
    return await acreate_markdown_artifact(
        markdown=scorecard_markdown(evaluation),
        key=f"scorecard-{evaluation.slug}",
        description=f"Weighted scorecard at {evaluation.gate}",
    )


async def publish_budget(evaluation: Evaluation) -> UUID:
    """The budget status, as a table artifact keyed by the trial."""
    return await acreate_table_artifact(
        table=budget_rows(evaluation),
        key=f"budget-{evaluation.slug}",
        description=f"Budget and schedule at {evaluation.gate}, in {evaluation.currency}",
    )


def announce_recommendation(evaluation: Evaluation) -> None:
    """Emit `trials.evaluation.recommended` with the recommendation and its reasons."""
    announce(
        "trials.evaluation.recommended",
        evaluation.slug,
        {
            "gate": evaluation.gate,
            "choice": evaluation.recommendation.choice,
            "rationale": evaluation.recommendation.rationale,
            "score": _text(evaluation.score),
            "forecast": str(evaluation.budget.forecast),
            "cap": str(evaluation.cap),
            "overrides": len(evaluation.overrides),
            "override_index": evaluation.override_index.model_dump(mode="json"),
        },
    )


def scorecard_markdown(evaluation: Evaluation) -> str:
    """The scorecard as a markdown table, with the recommendation and why."""
    gates = evaluation.gates
    score = "n/a" if evaluation.score is None else f"{evaluation.score:.0%}"
    lines = [
        f"# Scorecard: {evaluation.slug}, engagement {evaluation.engagement}",
        "",
        f"**Weighted score {score}** (expand at {gates.expand_at_score:.0%}, exit below "
        f"{gates.exit_below_score:.0%}). Recommendation: **{evaluation.recommendation.choice}**.",
        "",
        "| expectation | metric | target | measured | from | met | weight |",
        "|---|---|---|---|---|---|---|",
    ]
    for line in evaluation.scorecard:
        met = "not due" if not line.due else ("yes" if line.met else "**no**")
        source = line.provenance
        if line.disagrees:
            said = _measured(line.vendor_reported, line.unit)
            source += f"; **the vendor reports {said}**"
        lines.append(
            f"| {line.id} | {line.metric} | {line.comparator} {_num(line.target)} "
            f"{_cell(line.unit)} | {_measured(line.measured, line.unit)} | {_cell(source)} | "
            f"{met} | {_num(line.weight)} |"
        )
    lines += override_markdown(evaluation.override_index)
    lines += ["", "## Why", ""] + [f"- {_cell(r)}" for r in evaluation.recommendation.rationale]
    return "\n".join(lines)


def override_markdown(index: OverrideIndex) -> list[str]:
    """The override index: the client's overrides per vendor area, the vendor's answers,
    and the misses that follow them."""
    if not index.overrides:
        given = f"{index.directives} directives, " if index.directives else ""
        return ["", f"Override index: {given}no override of the vendor's areas."]
    share = "-" if index.share is None else f"{index.share:.0%}"
    lines = [
        "",
        "## Override index",
        "",
        f"**{index.overrides} overrides** of the vendor's areas in {index.directives} "
        f"directives ({share}): accepted {index.accepted}, pushed back {index.pushed_back}, "
        f"unanswered {index.unanswered}.",
        "",
        "| vendor area | overrides | accepted | pushed back | unanswered | misses after |",
        "|---|---|---|---|---|---|",
    ]
    for a in index.areas:
        misses = ", ".join(m.expectation for m in index.misses if m.area == a.area) or "-"
        lines.append(
            f"| {_cell(a.area)} | {a.overrides} | {a.accepted} | {a.pushed_back} | "
            f"{a.unanswered} | {misses} |"
        )
    return lines


def budget_rows(evaluation: Evaluation) -> list[dict[str, str]]:
    """The earned-value figures and the schedule, one row each."""
    b = evaluation.budget
    rows = [
        ("planned (budget at completion)", b.planned),
        ("earned (estimates of rungs done)", b.earned),
        ("actual (timesheets)", b.actual),
        ("forecast at completion", b.forecast),
        ("variance (planned - forecast)", b.variance),
        ("cap", evaluation.cap),
        ("cost performance (earned / actual)", b.cost_performance),
        ("schedule: days late over the rungs done", evaluation.days_late),
        ("overrides of the vendor's areas", Decimal(len(evaluation.overrides))),
    ]
    return [{"measure": name, "value": _text(value)} for name, value in rows]


def _text(value: Decimal | None) -> str:
    return "-" if value is None else str(value)


def _num(value: Decimal | None) -> str:
    """A measured value or target without the store's trailing zeros: 24, not 24.0000."""
    return "-" if value is None else f"{value.normalize():f}"


def _measured(value: Decimal | None, unit: str) -> str:
    return "-" if value is None else shown_value(value, unit)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
