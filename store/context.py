"""Load what a flow needs to know about a trial, in one read."""

from __future__ import annotations

from sqlmodel import Session

from models.context import TrialContext, vendor_info
from models.phases import Phase
from models.plan import Plan
from models.tables import Vendor
from store.trials import get_trial


def load_context(*, session: Session, slug: str) -> TrialContext:
    """The trial's id, phase, engagement, vendor and plan."""
    trial = get_trial(session=session, slug=slug)
    assert trial.id is not None
    vendor = session.get_one(Vendor, trial.vendor_id)
    plan = Plan.model_validate_json(trial.plan_json)
    info = vendor_info(vendor.name, vendor.base_url, plan)
    return TrialContext(
        slug=trial.slug,
        trial_id=trial.id,
        phase=Phase(trial.phase),
        engagement=trial.engagement,
        vendor=info,
        plan=plan,
        cap=trial.budget_cap,
        waiting_for=trial.waiting_for,
    )
