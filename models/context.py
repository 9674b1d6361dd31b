"""What a flow knows about the trial it carries: plain values passed between tasks."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from models.phases import Phase
from models.plan import Budget, Expectation, Plan, TokenRef
from models.redmine import RedmineSection


class VendorInfo(BaseModel):
    """How to reach the trial's vendor; the token stays where the plan says it lives."""

    name: str
    base_url: str
    token: TokenRef
    adapter: str = "work-api"
    # What an adapter for a system other than the Work API needs from the plan: its
    # section (`redmine:`), and the rate card and currency it prices time entries at.
    redmine: RedmineSection | None = None
    rate_card: dict[str, Decimal] = {}
    currency: str = ""


def vendor_info(name: str, base_url: str, plan: Plan) -> VendorInfo:
    """How to reach a stored trial's vendor, from its vendor row and its plan."""
    return VendorInfo(
        name=name,
        base_url=base_url,
        token=plan.vendor.api.token,
        adapter=plan.vendor.api.adapter,
        redmine=plan.redmine,
        rate_card=plan.rate_card,
        currency=plan.currency,
    )


class TrialContext(BaseModel):
    """A trial as stored: its id, phase, engagement, vendor and validated plan."""

    slug: str
    trial_id: int
    phase: Phase
    engagement: int
    vendor: VendorInfo
    plan: Plan
    cap: Decimal  # the current engagement's cap in force: the plan's, or raised at the cap gate
    waiting_for: str | None = None  # what the trial waited for when it was loaded

    @property
    def expectations(self) -> list[Expectation]:
        """The expectations of the current engagement: the pilot's, or the expansion's."""
        if self.engagement > 1 and self.plan.expansion is not None:
            return self.plan.expansion.expectations
        return self.plan.expectations

    @property
    def budget(self) -> Budget:
        """The budget of the current engagement."""
        if self.engagement > 1 and self.plan.expansion is not None:
            return self.plan.expansion.budget
        return self.plan.budget
