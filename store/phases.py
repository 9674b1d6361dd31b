"""The one way a trial changes phase: checked, audited, and safe when writers race."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session, col

from models.errors import ConcurrentChangeError
from models.phases import Phase, check_transition
from models.tables import AuditEntry, Trial, utcnow
from store.trials import get_trial


def change_phase(*, session: Session, slug: str, to: Phase, actor: str, reason: str) -> bool:
    """Move the trial to `to` and audit it in the session's transaction.

    Returns False, and writes nothing, when the trial is already in `to`: a rerun of
    the same step is harmless. The update is conditional on the version read, so of
    two racing writers exactly one wins; the other gets a ConcurrentChangeError.
    """
    trial = get_trial(session=session, slug=slug)
    current = Phase(trial.phase)
    if current is to:
        return False
    check_transition(slug, current, to, reason)
    changed = session.execute(
        update(Trial)
        .where(col(Trial.id) == trial.id, col(Trial.version) == trial.version)
        .values(phase=to, version=trial.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentChangeError(
            f"Trial '{slug}' changed while moving it from {current} to {to}: another "
            "process got there first. Run `trials show` to see its phase, then try again."
        )
    session.add(
        AuditEntry(
            trial_id=trial.id,
            actor=actor,
            action="phase_changed",
            from_phase=current,
            to_phase=to,
            reason=reason,
        )
    )
    session.flush()
    session.expire(trial)
    return True
