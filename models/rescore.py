"""What-if re-scoring: the stored evaluation recomputed under other weights or thresholds.

Pure recomputation over the facts the store holds: nothing here is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from pydantic import BaseModel

from models.errors import TrialsError
from models.evaluation import Evaluation, EvaluationFacts, evaluate
from models.gates import Choice
from models.plan import Gates
from models.scoring import is_due

SEARCH_TOP = Decimal(10)  # the sensitivity looks for flips at weights 0 to 10
COARSE = Decimal("0.1")
FINE = Decimal("0.01")  # a plan's weights have two decimal places
T = TypeVar("T")


class WhatIf(BaseModel):
    """The changes asked for: new weights by expectation id, new thresholds."""

    weights: dict[str, Decimal] = {}
    expand_at: Decimal | None = None
    exit_below: Decimal | None = None


class Outcome(BaseModel):
    """An evaluation in brief: score and recommendation, with its reasons."""

    score: Decimal | None
    choice: Choice
    rationale: list[str]
    expand_at: Decimal
    exit_below: Decimal


class LineChange(BaseModel):
    """One expectation, before and after: weight, and whether it is due and met."""

    id: str
    due: bool
    met: bool | None
    old_weight: Decimal
    new_weight: Decimal


class Flip(BaseModel):
    """The nearest weight, above or below the one now, at which the recommendation changes."""

    weight: Decimal
    choice: Choice
    upward: bool


class Sensitivity(BaseModel):
    """For one expectation: where the new recommendation would flip, within 0-10."""

    id: str
    weight: Decimal
    due: bool
    flips: list[Flip]

    @property
    def line(self) -> str:
        """In words: "flips to exit at 1.25 or less" or "none in 0–10"."""
        if not self.flips:
            return "none in 0–10" + ("" if self.due else " (not due yet)")
        return "; ".join(
            f"flips to {f.choice} at {f.weight.normalize():f} or "
            + ("more" if f.upward else "less")
            for f in self.flips
        )


class Rescore(BaseModel):
    """The stored evaluation and the what-if one, side by side, with what changed."""

    slug: str
    engagement: int
    gate: str
    old: Outcome
    new: Outcome
    lines: list[LineChange]
    changes: list[str]  # what was changed, and what changed the outcome
    sensitivity: list[Sensitivity]
    decided: str | None = None  # the decision on record at the evaluation, unchanged

    @property
    def flipped(self) -> bool:
        """Whether the recommendation differs under the what-if."""
        return self.old.choice is not self.new.choice


def parse_weights(items: list[str]) -> dict[str, Decimal]:
    """`EXPECTATION=W` pairs as given on the command line, each weight a number of 0 or more."""
    weights: dict[str, Decimal] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise TrialsError(
                f"--weight {item!r} is not EXPECTATION=W: write e.g. --weight first-response=5."
            )
        weight = _number(text, f"--weight {item!r}")
        if weight < 0:
            raise TrialsError(
                f"--weight {item!r} is negative: a weight is 0 (leave it out of the score) or more."
            )
        weights[name.strip()] = weight
    return weights


def parse_share(text: str | None, option: str) -> Decimal | None:
    """A threshold score given as 0.8 or 80%: a share from 0 to 1."""
    if text is None:
        return None
    percent = text.strip().endswith("%")
    value = _number(text.strip().removesuffix("%"), f"{option} {text!r}")
    value = value / 100 if percent else value
    if not 0 <= value <= 1:
        raise TrialsError(f"{option} {text!r} is not a score from 0 to 1: write e.g. 0.8 or 80%.")
    return value


def _number(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise TrialsError(f"{what}: {text.strip()!r} is not a number; write e.g. 2.5.")
    return value


def what_if_facts(facts: EvaluationFacts, change: WhatIf, today: date) -> EvaluationFacts:
    """The facts with the plan's weights and thresholds changed; refused if they cannot score."""
    terms = facts.terms
    known = [e.id for e in terms.expectations]
    if unknown := sorted(set(change.weights) - set(known)):
        raise TrialsError(
            f"Trial '{facts.slug}' has no expectation {', '.join(map(repr, unknown))} in "
            f"engagement {facts.engagement}; its expectations are {', '.join(known)}."
        )
    expectations = [
        e.model_copy(update={"weight": change.weights.get(e.id, e.weight)})
        for e in terms.expectations
    ]
    if all(e.weight == 0 for e in expectations):
        raise TrialsError(
            "Every expectation would weigh 0, so there is no score to compare: give at least "
            "one expectation a weight above 0."
        )
    done = [r.key for r in facts.rungs if r.done]
    due = [e for e in expectations if is_due(e, done, today)]
    if due and all(e.weight == 0 for e in due):
        raise TrialsError(
            f"The expectations due so far ({', '.join(e.id for e in due)}) would all weigh 0, "
            "so there is no score: give one of them a weight above 0."
        )
    gates = _gates(facts.plan.gates, change)
    plan = facts.plan
    if facts.engagement == 1:
        plan = plan.model_copy(update={"expectations": expectations, "gates": gates})
    else:
        assert plan.expansion is not None  # engagement_terms refused it otherwise
        expansion = plan.expansion.model_copy(update={"expectations": expectations})
        plan = plan.model_copy(update={"expansion": expansion, "gates": gates})
    return facts.model_copy(update={"plan": plan})


def _gates(gates: Gates, change: WhatIf) -> Gates:
    """The thresholds changed; refused when expand-at would be below exit-below."""
    expand_at = gates.expand_at_score if change.expand_at is None else change.expand_at
    exit_below = gates.exit_below_score if change.exit_below is None else change.exit_below
    if expand_at < exit_below:
        raise TrialsError(
            f"--expand-at {expand_at:.0%} is below --exit-below {exit_below:.0%}: a score "
            "between them would both expand and exit. Give an expand-at at or above the "
            "exit-below."
        )
    return gates.model_copy(update={"expand_at_score": expand_at, "exit_below_score": exit_below})


def rescore(
    facts: EvaluationFacts, change: WhatIf, today: date, decided: str | None = None
) -> Rescore:
    """The evaluation as stored and under the what-if, side by side, with the sensitivity."""
    old = evaluate(facts, today)
    changed = what_if_facts(facts, change, today)
    new = evaluate(changed, today)
    before = {line.id: line.weight for line in old.scorecard}
    lines = [
        LineChange(
            id=line.id,
            due=line.due,
            met=line.met,
            old_weight=before[line.id],
            new_weight=line.weight,
        )
        for line in new.scorecard
    ]
    return Rescore(
        slug=facts.slug,
        engagement=facts.engagement,
        gate=old.gate,
        old=_outcome(old),
        new=_outcome(new),
        lines=lines,
        changes=_changes(lines, _outcome(old), _outcome(new)),
        sensitivity=[
            _sensitivity(changed, line, new.recommendation.choice, today) for line in lines
        ],
        decided=decided,
    )


def _outcome(evaluation: Evaluation) -> Outcome:
    return Outcome(
        score=evaluation.score,
        choice=evaluation.recommendation.choice,
        rationale=evaluation.recommendation.rationale,
        expand_at=evaluation.gates.expand_at_score,
        exit_below=evaluation.gates.exit_below_score,
    )


def _changes(lines: list[LineChange], old: Outcome, new: Outcome) -> list[str]:
    """What the what-if changed, then what that did to the recommendation, and why."""
    said = [
        f"'{line.id}' weighs {_num(line.new_weight)} instead of {_num(line.old_weight)}"
        + (
            f" ({'met' if line.met else 'missed'})"
            if line.due
            else ": not due yet, so it does not count"
        )
        for line in lines
        if line.new_weight != line.old_weight
    ]
    for name, was, now in (
        ("expand at", old.expand_at, new.expand_at),
        ("exit below", old.exit_below, new.exit_below),
    ):
        if was != now:
            said.append(f"{name} {now:.0%} instead of {was:.0%}")
    if not said:
        said.append("nothing changed: give --weight, --expand-at or --exit-below")
    if old.choice is new.choice:
        said.append(f"the recommendation stays {new.choice}: {_band(new)}")
        return said
    said.append(f"the recommendation flips from {old.choice} to {new.choice}: {_band(new)}")
    if _band(old).split(" is ")[-1] == _band(new).split(" is ")[-1]:  # same band: not the score
        said += [reason for reason in new.rationale if reason.startswith("but ")]
    return said


def _band(outcome: Outcome) -> str:
    """Where the score stands against the thresholds, in words."""
    if outcome.score is None:
        return "nothing is due yet, so there is no score"
    score = f"the score {outcome.score:.1%}"
    if outcome.score < outcome.exit_below:
        return f"{score} is below exit-below {outcome.exit_below:.0%}"
    if outcome.score < outcome.expand_at:
        return (
            f"{score} is between exit-below {outcome.exit_below:.0%} "
            f"and expand-at {outcome.expand_at:.0%}"
        )
    return f"{score} is at or above expand-at {outcome.expand_at:.0%}"


def _num(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _sensitivity(facts: EvaluationFacts, line: LineChange, now: Choice, today: date) -> Sensitivity:
    """The nearest weights of this expectation, up and down within 0-10, that flip `now`.

    A coarse pass every 0.1 finds the step where the recommendation changes; a fine pass
    every 0.01 (a plan's precision) within that step finds the weight itself, as the
    whole evaluation computes it (its rounding of the score, and its other rules, too).
    """
    if not line.due:  # its weight does not count yet
        return Sensitivity(id=line.id, weight=line.new_weight, due=False, flips=[])

    def choice_at(weight: Decimal) -> Choice | None:
        try:
            changed = what_if_facts(facts, WhatIf(weights={line.id: weight}), today)
        except TrialsError:  # every due weight 0: no score to recommend on
            return None
        return evaluate(changed, today).recommendation.choice

    flips = []
    for step in (COARSE, -COARSE):
        if (found := first_change(choice_at, line.new_weight, step, now)) is not None:
            flips.append(Flip(weight=found[0], choice=found[1], upward=step > 0))
    return Sensitivity(id=line.id, weight=line.new_weight, due=True, flips=flips)


def first_change(
    value_at: Callable[[Decimal], T | None], start: Decimal, step: Decimal, now: T
) -> tuple[Decimal, T] | None:
    """Walking from `start` by `step` (COARSE up, or -COARSE down) within 0-10, the first
    weight whose value is not `now` (None values skipped), and that value: a pass every
    0.1 finds the step, a pass every 0.01 within it the weight."""
    grid = [k * COARSE for k in range(int(SEARCH_TOP / COARSE) + 1)]
    ahead = [w for w in grid if w > start] if step > 0 else [w for w in reversed(grid) if w < start]
    last = min(start, SEARCH_TOP)
    for weight in ahead:
        value = value_at(weight)
        if value is not None and value != now:
            fine = FINE if step > 0 else -FINE
            probe = last + fine
            while (probe < weight) if step > 0 else (probe > weight):
                found = value_at(probe)
                if found is not None and found != now:
                    return probe, found
                probe += fine
            return weight, value
        last = weight
    return None
