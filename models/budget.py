"""Budget maths for a plan: what each rung costs, what the ladder needs, what is left."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from models.money import cents
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


def rung_cost(rung: Rung, rate_card: dict[str, Decimal]) -> Decimal:
    """Hours times the rate card; roles missing from the card cost nothing here."""
    return cents(
        sum((h * rate_card.get(role, Decimal(0)) for role, h in rung.hours.items()), Decimal(0))
    )


def ladder_totals(rungs: list[Rung], rate_card: dict[str, Decimal], budget: Budget) -> LadderTotals:
    """The totals of a ladder against its budget."""
    estimates = [
        RungEstimate(
            id=r.id, hours=r.total_hours, cost=rung_cost(r, rate_card), due_in_days=r.due_in_days
        )
        for r in rungs
    ]
    cost = sum((e.cost for e in estimates), Decimal(0))
    contingency = cents(cost * budget.contingency)
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


def budget_status(planned: Decimal, earned: Decimal, actual: Decimal) -> BudgetStatus:
    """Estimate at completion = actual + remaining estimate / cost performance so far."""
    cpi = (earned / actual) if actual > 0 and earned > 0 else None
    remaining = planned - earned
    forecast = cents(actual + (remaining / cpi if cpi else remaining))
    return BudgetStatus(
        planned=planned,
        earned=earned,
        actual=actual,
        forecast=forecast,
        variance=planned - forecast,
        cost_performance=cpi.quantize(Decimal("0.001")) if cpi else None,
    )


def forecast_cost(estimate: Decimal, earned: Decimal, actual: Decimal) -> Decimal:
    """What a rung estimated at `estimate` will cost at the vendor's cost performance so far."""
    if earned <= 0 or actual <= earned:
        return estimate  # no history yet, or on budget: take the estimate
    return cents(estimate * actual / earned)
