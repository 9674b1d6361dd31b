"""The trial phases and the transitions the pipeline allows between them."""

from __future__ import annotations

from enum import StrEnum

from models.errors import TransitionError


class Phase(StrEnum):
    """Where a trial stands in the pipeline."""

    DRAFT = "draft"
    ONBOARDING = "onboarding"
    PILOTING = "piloting"
    EVALUATING = "evaluating"
    EXPANDING = "expanding"
    EXITING = "exiting"
    CLOSED = "closed"
    ABORTED = "aborted"


TERMINAL: frozenset[Phase] = frozenset({Phase.CLOSED, Phase.ABORTED})

# Extending the pilot after an evaluation goes back to piloting; an expansion
# opens the next phase, which is piloting again on a larger ladder.
ALLOWED: dict[Phase, frozenset[Phase]] = {
    Phase.DRAFT: frozenset({Phase.ONBOARDING}),
    Phase.ONBOARDING: frozenset({Phase.PILOTING, Phase.EXITING}),  # exit: budget rejected
    Phase.PILOTING: frozenset({Phase.EVALUATING, Phase.EXITING}),  # exit: at the budget cap
    Phase.EVALUATING: frozenset({Phase.EXPANDING, Phase.EXITING, Phase.PILOTING}),
    Phase.EXPANDING: frozenset({Phase.PILOTING}),
    Phase.EXITING: frozenset({Phase.CLOSED}),
    Phase.CLOSED: frozenset(),
    Phase.ABORTED: frozenset(),
}


def allowed_next(current: Phase) -> frozenset[Phase]:
    """The phases a trial in `current` may move to, abort included."""
    if current in TERMINAL:
        return frozenset()
    return ALLOWED[current] | {Phase.ABORTED}


def check_transition(trial: str, current: Phase, target: Phase, reason: str) -> None:
    """Raise TransitionError unless `current -> target` is allowed for `trial`."""
    if target not in allowed_next(current):
        options = ", ".join(sorted(allowed_next(current))) or "none: the trial is finished"
        raise TransitionError(
            f"Trial '{trial}' cannot move from {current} to {target}. "
            f"From {current} it may move to: {options}."
        )
    if target is Phase.ABORTED and not reason.strip():
        raise TransitionError(
            f"Trial '{trial}' can only be aborted by a recorded decision: give a reason."
        )
