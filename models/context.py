"""What a flow knows about the trial it carries: plain values passed between tasks."""

from __future__ import annotations

from pydantic import BaseModel

from models.phases import Phase
from models.plan import Plan, TokenRef


class VendorInfo(BaseModel):
    """How to reach the trial's vendor; the token stays where the plan says it lives."""

    name: str
    base_url: str
    token: TokenRef
    adapter: str = "work-api"


class TrialContext(BaseModel):
    """A trial as stored: its id, phase, engagement, vendor and validated plan."""

    slug: str
    trial_id: int
    phase: Phase
    engagement: int
    vendor: VendorInfo
    plan: Plan
