"""Pure rules of the exit: who may exit, when a step counts as done, the final-invoice
reconciliation, and the exit report."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from enum import StrEnum
from functools import partial
from typing import Protocol, TypeVar

from pydantic import BaseModel

from models.budget import ladder_totals
from models.errors import TransitionError, TrialsError
from models.money import money
from models.names import readable_slug
from models.phases import Phase
from models.plan import Plan

Shown = Callable[[Decimal], str]  # an amount as people read it, in the trial's currency

KT_DOCUMENT = "kt_document"
DATA_EXPORT = "data_export"


class StepStatus(StrEnum):
    """Where an exit step stands in the store."""

    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class ExitStepError(TrialsError):
    """An exit step ran but could not be completed and verified."""

    def __init__(self, what: str, to_do: str) -> None:
        self.what, self.to_do = what, to_do
        super().__init__(f"{what} To do: {to_do}")


class ExitStopped(TrialsError):
    """The exit stopped at a failed step; the trial stays in exiting until a rerun ends it."""


def check_exit_phase(slug: str, phase: Phase) -> None:
    """Refuse an exit for a trial that is neither exiting nor closed."""
    if phase not in (Phase.EXITING, Phase.CLOSED):
        raise TransitionError(
            f"Trial '{slug}' is in {phase}: the exit runs only for a trial in exiting, and "
            "returns the report of a closed one. Decide to exit at the evaluation gate first."
        )


class StepLine(BaseModel):
    """An exit step as stored: what it is, its key, where it stands and why."""

    key: str
    kind: str
    target: str | None
    status: StepStatus
    detail: str


def plan_step(steps: Sequence[StepLine], kind: str) -> StepLine:
    """The stored step for one kind of the plan's exit steps (not a per-grant one)."""
    for step in steps:
        if step.kind == kind and step.target is None:
            return step
    raise TrialsError(
        f"The plan lists the exit step {kind}, but the store has no such step for the trial: "
        "the trial was stored by an older version. Add the step to the store, then rerun."
    )


class ArchivedFile(BaseModel):
    """A file fetched from the vendor and archived under the data directory."""

    kind: str
    vendor_ref: str
    name: str
    size: int
    sha256: str
    path: str  # relative to the data directory


class ExitReport(BaseModel):
    """What the exit did: each step, the files archived, the grants revoked, the money."""

    trial: str
    phase: Phase
    steps: list[StepLine]  # the plan's steps, in the plan's order
    grants: list[StepLine]  # one revocation per access grant
    archived: list[ArchivedFile]
    reconciliation: str | None

    @property
    def complete(self) -> bool:
        """True when every step and every grant revocation is done."""
        return all(s.status is StepStatus.DONE for s in [*self.steps, *self.grants])


def archive_name(vendor_ref: str, title: str = "", suffix: str = "") -> str:
    """A safe file name from the vendor's id and title, in the title's own script:
    `kt-0001-escalation-paths`, `kt-0002-エスカレーション手順`."""
    return readable_slug(f"{vendor_ref} {title}") + suffix


class Fingerprinted(Protocol):
    """Anything the vendor lists with an id and a sha256."""

    @property
    def id(self) -> str: ...

    @property
    def sha256(self) -> str: ...


D = TypeVar("D", bound=Fingerprinted)


def not_archived(listed: Sequence[D], archived: Sequence[ArchivedFile]) -> list[D]:
    """The listed documents with no archived copy of the same content."""
    have = {(a.vendor_ref, a.sha256) for a in archived}
    return [d for d in listed if (d.id, d.sha256) not in have]


def kt_settled(
    before: Sequence[Fingerprinted], after: Sequence[Fingerprinted], archived: list[ArchivedFile]
) -> bool:
    """Two listings agree, and every document in them is archived with that content."""
    fingerprints = {(d.id, d.sha256) for d in after}
    return fingerprints == {(d.id, d.sha256) for d in before} and not not_archived(after, archived)


def poll_delays(max_wait: float, first: float = 0.05, longest: float = 5.0) -> list[float]:
    """Sleeps between polls, doubling from `first` up to `longest`, that add up to `max_wait`."""
    delays: list[float] = []
    delay, left = first, max_wait
    while left > 0:
        delays.append(min(delay, left))
        left -= delays[-1]
        delay = min(delay * 2, longest)
    return delays


class Billed(Protocol):
    """An invoice or a timesheet line: an amount in a currency."""

    @property
    def amount(self) -> Decimal: ...

    @property
    def currency(self) -> str: ...


class Reconciliation(BaseModel):
    """The final invoice against the timesheets, the ladder estimate and the budget."""

    currency: str
    invoiced: Decimal
    timesheets: Decimal
    ladder_estimate: Decimal
    budget_estimate: Decimal
    cap: Decimal
    difference: Decimal  # invoiced minus the ladder estimate; positive is an overrun
    explanation: str


def exit_budget(plan: Plan, engagement: int) -> tuple[Decimal, Decimal, Decimal]:
    """The ladder estimate, budget estimate and cap of every engagement reached so far."""
    stages = [(plan.pilot, plan.budget)]
    if engagement > 1 and plan.expansion is not None:
        stages.append((plan.expansion.pilot, plan.expansion.budget))
    totals = [
        ladder_totals(rungs, plan.rate_card, budget, plan.currency) for rungs, budget in stages
    ]
    return (
        sum((t.cost for t in totals), Decimal(0)),
        sum((t.estimate for t in totals), Decimal(0)),
        sum((t.cap for t in totals), Decimal(0)),
    )


def reconcile(
    plan: Plan, engagement: int, invoices: Sequence[Billed], timesheets: Sequence[Billed]
) -> Reconciliation:
    """Total invoiced against the timesheets, the ladder estimate, the budget and the cap."""
    currency = plan.currency
    ladder, estimate, cap = exit_budget(plan, engagement)
    invoiced = sum((i.amount for i in invoices if i.currency == currency), Decimal(0))
    booked = sum((t.amount for t in timesheets if t.currency == currency), Decimal(0))
    show = partial(money, currency=currency)
    parts = [
        f"invoiced {show(invoiced)} {currency}, {_against_estimate(invoiced, ladder, show)}, "
        f"{_against_budget(invoiced, estimate, cap, show)}",
        _against_timesheets(invoiced, booked, currency, show),
    ]
    foreign = sorted({b.currency for b in [*invoices, *timesheets]} - {currency})
    if foreign:
        parts.append(f"amounts in {', '.join(foreign)} are left out: reconcile them by hand")
    return Reconciliation(
        currency=currency,
        invoiced=invoiced,
        timesheets=booked,
        ladder_estimate=ladder,
        budget_estimate=estimate,
        cap=cap,
        difference=invoiced - ladder,
        explanation="; ".join(parts) + ".",
    )


def _against_estimate(invoiced: Decimal, ladder: Decimal, show: Shown) -> str:
    if ladder <= 0:
        return "with no ladder estimate to compare"
    if invoiced == ladder:
        return f"exactly the {show(ladder)} ladder estimate"
    share = abs(invoiced - ladder) / ladder * 100
    side = "over" if invoiced > ladder else "under"
    return f"{share:.1f}% {side} the {show(ladder)} ladder estimate"


def _against_budget(invoiced: Decimal, estimate: Decimal, cap: Decimal, show: Shown) -> str:
    if invoiced <= estimate:
        return f"within the {show(estimate)} budget"
    if invoiced <= cap:
        return f"over the {show(estimate)} budget but within the {show(cap)} cap"
    return f"OVER the {show(cap)} cap by {show(invoiced - cap)}"


def _against_timesheets(invoiced: Decimal, booked: Decimal, currency: str, show: Shown) -> str:
    total = f"timesheets total {show(booked)} {currency}"
    if invoiced == booked:
        return f"{total}, matching the invoices"
    if invoiced < booked:
        return f"{total}: {show(booked - invoiced)} booked but not yet invoiced"
    return f"{total}: {show(invoiced - booked)} invoiced beyond the timesheets; query it"


def failed_detail(step: str, what: str, to_do: str) -> str:
    """The to-do a failed step leaves in the store: what failed, what to do, how to resume."""
    return (
        f"FAILED: {what.rstrip('.')}. To do: {to_do.rstrip('.')}. Then run the exit again: "
        f"it keeps the steps done and resumes at {step}."
    )


def report_markdown(report: ExitReport) -> str:
    """The exit report as markdown, for the Prefect UI."""
    state = "complete" if report.complete else "NOT complete"
    lines = [f"# Exit of {report.trial}", "", f"Phase **{report.phase}**; the exit is {state}."]
    lines += ["", "## Steps", "", "| # | step | status | detail |", "|---|---|---|---|"]
    lines += [
        f"| {n} | {s.kind} | {s.status} | {_cell(s.detail)} |"
        for n, s in enumerate(report.steps, start=1)
    ]
    lines += ["", "## Archived", "", "| kind | name | bytes | sha256 |", "|---|---|---|---|"]
    lines += [
        f"| {a.kind} | {_cell(a.name)} | {a.size:,} | `{a.sha256}` |" for a in report.archived
    ]
    lines += ["", "## Access grants", "", "| grant | status | detail |", "|---|---|---|"]
    lines += [f"| {g.target} | {g.status} | {_cell(g.detail)} |" for g in report.grants]
    lines += ["", "## Final invoice", "", report.reconciliation or "Not reconciled yet."]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|") or "-"
