"""Budget maths for a plan: what each rung costs, what the ladder needs, what is left."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from models.money import minor_unit, round_money
from models.plan import Budget, Rung


class RungEstimate(BaseModel):
    """A rung's size and its estimate from the rate card."""

    id: str
    hours: Decimal
    cost: Decimal
    due_in_days: int


class LadderTotals(BaseModel):
    """A ladder against its budget: cost, contingency, what is required, and the headroom."""

    rungs: list[RungEstimate]
    hours: Decimal
    cost: Decimal
    contingency: Decimal
    required: Decimal
    estimate: Decimal
    cap: Decimal

    @property
    def covered(self) -> bool:
        """True when the estimate covers the ladder plus its contingency."""
        return self.estimate >= self.required

    @property
    def headroom(self) -> Decimal:
        """What the cap leaves above the required amount."""
        return self.cap - self.required


def rung_cost(rung: Rung, rate_card: dict[str, Decimal], currency: str) -> Decimal:
    """Hours times the rate card, in `currency` rounded to its minor unit (models.money).

    Roles missing from the card cost nothing here (the plan checks refuse them).
    """
    return round_money(
        sum((h * rate_card.get(role, Decimal(0)) for role, h in rung.hours.items()), Decimal(0)),
        currency,
    )


def ladder_totals(
    rungs: list[Rung], rate_card: dict[str, Decimal], budget: Budget, currency: str
) -> LadderTotals:
    """The totals of a ladder against its budget, amounts in `currency`."""
    estimates = [
        RungEstimate(
            id=r.id,
            hours=r.total_hours,
            cost=rung_cost(r, rate_card, currency),
            due_in_days=r.due_in_days,
        )
        for r in rungs
    ]
    cost = sum((e.cost for e in estimates), Decimal(0))
    contingency = round_money(cost * budget.contingency, currency)
    return LadderTotals(
        rungs=estimates,
        hours=sum((e.hours for e in estimates), Decimal(0)),
        cost=cost,
        contingency=contingency,
        required=cost + contingency,
        estimate=budget.estimate,
        cap=budget.cap,
    )


class BudgetStatus(BaseModel):
    """Earned-value view of a ladder: planned, earned and actual cost, and the forecast."""

    planned: Decimal  # budget at completion: every rung's estimate
    earned: Decimal  # estimates of the rungs done
    actual: Decimal  # what the vendor has billed
    forecast: Decimal  # estimate at completion, adjusted by cost performance
    variance: Decimal  # planned minus forecast: negative means an overrun
    cost_performance: Decimal | None  # earned / actual


def budget_status(
    planned: Decimal, earned: Decimal, actual: Decimal, currency: str
) -> BudgetStatus:
    """Estimate at completion = actual + remaining estimate / cost performance so far.

    The PMI earned-value formula EAC = AC + (BAC − EV) / CPI, with CPI = EV / AC; amounts
    in `currency`, the forecast rounded to its minor unit.
    """
    cpi = (earned / actual) if actual > 0 and earned > 0 else None
    remaining = planned - earned
    forecast = round_money(actual + (remaining / cpi if cpi else remaining), currency)
    return BudgetStatus(
        planned=planned,
        earned=earned,
        actual=actual,
        forecast=forecast,
        variance=planned - forecast,
        cost_performance=cpi.quantize(Decimal("0.001")) if cpi else None,
    )


def forecast_cost(estimate: Decimal, earned: Decimal, actual: Decimal, currency: str) -> Decimal:
    """What a rung estimated at `estimate` will cost at the vendor's cost performance so far.

    estimate / CPI, rounded to the minor unit of `currency`.
    """
    if earned <= 0 or actual <= earned:
        return estimate  # no history yet, or on budget: take the estimate
    return round_money(estimate * actual / earned, currency)


DONE = frozenset({"delivered", "accepted"})


def rung_done(status: str, completed_at: datetime | None) -> bool:
    """Delivered or accepted; a rung stopped at the gate after its delivery counts too."""
    return status in DONE or (status == "stopped" and completed_at is not None)


# Shares of the estimate at which spend is announced, beside 100% of the cap.
ESTIMATE_SHARES = (Decimal("0.5"), Decimal("0.8"), Decimal("1"))


class Threshold(BaseModel):
    """An amount whose crossing is announced once: a share of the estimate, or the cap."""

    key: str  # unique per trial: the engagement, what it measures, and the amount
    label: str
    amount: Decimal


def thresholds(engagement: int, estimate: Decimal, cap: Decimal, currency: str) -> list[Threshold]:
    """50%, 80% and 100% of the estimate, and the cap in force, lowest first.

    A raised cap is a new threshold (its key holds the amount), announced when reached.
    """
    marks = [
        Threshold(
            key=f"e{engagement}:estimate:{share * 100:.0f}",
            label=f"{share:.0%} of the estimate",
            amount=round_money(estimate * share, currency),
        )
        for share in ESTIMATE_SHARES
    ]
    # The key holds the cap at two places or the currency's, whichever is more, as the
    # store kept it before migration 0007, so a cap announced then is not announced again.
    key_cap = cap.quantize(Decimal(1).scaleb(-max(2, minor_unit(currency))))
    marks.append(Threshold(key=f"e{engagement}:cap:{key_cap}", label="the cap", amount=cap))
    return sorted(marks, key=lambda mark: mark.amount)


def crossed(marks: list[Threshold], spent: Decimal) -> list[Threshold]:
    """The thresholds that `spent` has reached."""
    return [mark for mark in marks if spent >= mark.amount]


class CostLine(BaseModel):
    """A timesheet line as stored: who worked on which rung, how long, at what rate."""

    vendor_ref: str
    rung: str
    role: str
    hours: Decimal
    rate: Decimal
    amount: Decimal


class InvoiceLine(BaseModel):
    """An invoice as stored, against the rung whose hours it bills."""

    vendor_ref: str
    description: str
    rung: str
    amount: Decimal


def reconcile(
    lines: list[CostLine], invoices: list[InvoiceLine], rate_card: dict[str, Decimal], currency: str
) -> list[str]:
    """What does not add up: rates off the card, sums that differ, hours nobody invoiced.

    A line's amount must be its hours × rate rounded to the minor unit of `currency`
    (the rule in models.money); a vendor that bills exactly at the rate card gets no flag.
    """
    flags = []
    for line in lines:
        agreed = rate_card.get(line.role)
        if agreed is None:
            flags.append(
                f"{line.vendor_ref} ({line.rung}): role '{line.role}' is not in the rate card, "
                f"billed at {line.rate} an hour"
            )
        elif line.rate != agreed:
            flags.append(
                f"{line.vendor_ref} ({line.rung}): {line.role} billed at {line.rate} an hour; "
                f"the rate card says {agreed}"
            )
        if round_money(line.hours * line.rate, currency) != line.amount:
            flags.append(
                f"{line.vendor_ref} ({line.rung}): {line.amount} is not {line.hours} h × "
                f"{line.rate}"
            )
    for rung in sorted({line.rung for line in lines} | {i.rung for i in invoices}):
        booked = sum((line.amount for line in lines if line.rung == rung), Decimal(0))
        billed = sum((i.amount for i in invoices if i.rung == rung), Decimal(0))
        if billed and billed != booked:  # nothing invoiced yet is not a discrepancy
            flags.append(f"{rung}: invoiced {billed} against {booked} of timesheets")
    return flags


class RungBurn(BaseModel):
    """One rung's money: its estimate, what it cost, and the running totals."""

    rung: str
    title: str
    status: str
    estimate: Decimal
    actual: Decimal
    invoiced: Decimal
    cumulative_estimate: Decimal
    cumulative_actual: Decimal

    @property
    def variance(self) -> Decimal:
        """Estimate minus actual: negative means the rung overran."""
        return self.estimate - self.actual if self.actual else Decimal(0)


def burn(
    rungs: list[tuple[str, str, str, Decimal]], lines: list[CostLine], invoices: list[InvoiceLine]
) -> list[RungBurn]:
    """Each rung's (key, title, status, estimate) with its costs, and the running totals."""
    rows, planned, spent = [], Decimal(0), Decimal(0)
    for key, title, status, estimate in rungs:
        actual = sum((line.amount for line in lines if line.rung == key), Decimal(0))
        planned, spent = planned + estimate, spent + actual
        rows.append(
            RungBurn(
                rung=key,
                title=title,
                status=status,
                estimate=estimate,
                actual=actual,
                invoiced=sum((i.amount for i in invoices if i.rung == key), Decimal(0)),
                cumulative_estimate=planned,
                cumulative_actual=spent,
            )
        )
    return rows


class Mark(BaseModel):
    """A threshold and when the spend crossed it, if it has."""

    label: str
    amount: Decimal
    crossed_at: datetime | None = None


class BudgetFacts(BaseModel):
    """An engagement's money as stored: its budget, rungs, costs and the thresholds crossed."""

    slug: str
    engagement: int
    currency: str
    estimate: Decimal
    cap: Decimal
    rate_card: dict[str, Decimal]
    rungs: list[tuple[str, str, str, Decimal]]  # key, title, status, estimate
    done: list[str]  # the rungs done, as the evaluation counts them
    lines: list[CostLine]
    invoices: list[InvoiceLine]
    crossed_at: dict[str, datetime]  # threshold key -> when


class BudgetReport(BaseModel):
    """The budget table: burn per rung and in total, the forecast, thresholds and flags."""

    slug: str
    engagement: int
    currency: str
    estimate: Decimal
    cap: Decimal
    rungs: list[RungBurn]
    status: BudgetStatus
    marks: list[Mark]
    flags: list[str]

    @property
    def spent(self) -> Decimal:
        """What the vendor's timesheets booked on this engagement."""
        return self.status.actual


def budget_report(facts: BudgetFacts) -> BudgetReport:
    """Burn, estimate at completion, thresholds and reconciliation flags of an engagement."""
    rows = burn(facts.rungs, facts.lines, facts.invoices)
    status = budget_status(
        planned=sum((r.estimate for r in rows), Decimal(0)),
        earned=sum((r.estimate for r in rows if r.rung in facts.done), Decimal(0)),
        actual=sum((r.actual for r in rows), Decimal(0)),
        currency=facts.currency,
    )
    marks = [
        Mark(label=mark.label, amount=mark.amount, crossed_at=facts.crossed_at.get(mark.key))
        for mark in thresholds(facts.engagement, facts.estimate, facts.cap, facts.currency)
    ]
    return BudgetReport(
        slug=facts.slug,
        engagement=facts.engagement,
        currency=facts.currency,
        estimate=facts.estimate,
        cap=facts.cap,
        rungs=rows,
        status=status,
        marks=marks,
        flags=reconcile(facts.lines, facts.invoices, facts.rate_card, facts.currency),
    )
