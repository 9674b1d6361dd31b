"""The allowed transitions of the pipeline, as pure rules."""

from __future__ import annotations

import pytest

from models.errors import TransitionError
from models.phases import Phase, allowed_next, check_transition


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Phase.DRAFT, Phase.ONBOARDING),
        (Phase.ONBOARDING, Phase.PILOTING),
        (Phase.ONBOARDING, Phase.EXITING),
        (Phase.PILOTING, Phase.EVALUATING),
        (Phase.EVALUATING, Phase.EXPANDING),
        (Phase.EVALUATING, Phase.EXITING),
        (Phase.EVALUATING, Phase.PILOTING),
        (Phase.EXPANDING, Phase.PILOTING),
        (Phase.EXITING, Phase.CLOSED),
    ],
)
def test_the_pipeline_moves_forward(current: Phase, target: Phase) -> None:
    check_transition("t", current, target, reason="")


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (Phase.DRAFT, Phase.PILOTING),
        (Phase.ONBOARDING, Phase.EVALUATING),
        (Phase.PILOTING, Phase.EXPANDING),
        (Phase.EXITING, Phase.PILOTING),
        (Phase.CLOSED, Phase.ONBOARDING),
        (Phase.ABORTED, Phase.DRAFT),
    ],
)
def test_skipping_or_going_back_is_refused(current: Phase, target: Phase) -> None:
    with pytest.raises(TransitionError, match=f"cannot move from {current} to {target}"):
        check_transition("t", current, target, reason="because")


def test_any_open_phase_can_be_aborted_only_with_a_reason() -> None:
    open_phases = [p for p in Phase if p not in (Phase.CLOSED, Phase.ABORTED)]
    for phase in open_phases:
        assert Phase.ABORTED in allowed_next(phase)
        check_transition("t", phase, Phase.ABORTED, reason="vendor went bankrupt")
        with pytest.raises(TransitionError, match="recorded decision"):
            check_transition("t", phase, Phase.ABORTED, reason="  ")


def test_finished_trials_go_nowhere() -> None:
    assert allowed_next(Phase.CLOSED) == frozenset()
    with pytest.raises(TransitionError, match="the trial is finished"):
        check_transition("t", Phase.CLOSED, Phase.ABORTED, reason="x")
