"""Reading who the stored trials' plans tell, for `trials deploy` to set up."""

from __future__ import annotations

from sqlmodel import Session, col, select

from models.notify import Notify
from models.phases import TERMINAL
from models.plan import Plan
from models.tables import Trial


def notify_sections(*, session: Session) -> dict[str, Notify | None]:
    """Each open trial's notify: section, None for a plan without one, by trial id."""
    rows = session.exec(
        select(Trial.slug, Trial.plan_json)
        .where(col(Trial.phase).not_in([str(p) for p in TERMINAL]))
        .order_by(col(Trial.slug))
    ).all()
    return {slug: Plan.model_validate_json(plan).notify for slug, plan in rows}
