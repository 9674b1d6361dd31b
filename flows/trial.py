"""The whole trial: each phase's flow in turn, as far as the trial can go now."""

from __future__ import annotations

from prefect import flow

from flows.evaluation import evaluation
from flows.exit import exit_trial
from flows.expansion import expansion
from flows.ladder import ladder
from flows.onboarding import onboarding
from models.phases import TERMINAL, Phase
from tasks.reporting import label_run
from tasks.trial_state import load_trial

# A run stops at the first of these; the next run (or the monitor) carries the trial on.
WAITING = "waiting"
EXPANDED = "expanded"
MAX_EVALUATIONS_PER_RUN = 2


@flow(name="trial", flow_run_name="trial-{slug}")
async def trial(
    slug: str, decisions: str = "ask", wait_seconds: float = 300.0, decision_timeout: int = 3600
) -> str:
    """Carry the trial through onboarding, the ladder, evaluation, then exit or expansion."""
    await label_run(await load_trial(slug))
    return await _carry(slug, decisions, wait_seconds, decision_timeout)


async def _carry(slug: str, decisions: str, wait_seconds: float, decision_timeout: int) -> str:
    """Run the phase flows in turn until the trial waits, expands or ends."""
    evaluations = 0
    while (phase := (await load_trial(slug)).phase) not in TERMINAL:
        evaluations += phase is Phase.EVALUATING
        if evaluations > MAX_EVALUATIONS_PER_RUN:
            return WAITING  # extended again and again: a person should look at it
        outcome = await _phase(slug, phase, decisions, wait_seconds, decision_timeout)
        if outcome is not None:
            return outcome
    return phase


async def _phase(
    slug: str, phase: Phase, decisions: str, wait_seconds: float, decision_timeout: int
) -> str | None:
    """Run one phase's flow; a string means the run stops there."""
    if phase in (Phase.DRAFT, Phase.ONBOARDING):
        if await onboarding(slug, decisions, decision_timeout) is None:
            return WAITING
    elif phase is Phase.PILOTING:
        if await ladder(slug, wait_seconds=wait_seconds) == WAITING:
            return WAITING
    elif phase is Phase.EVALUATING:
        if await evaluation(slug, decisions, decision_timeout) is None:
            return WAITING
    elif phase is Phase.EXPANDING:
        await expansion(slug)
        return EXPANDED  # the larger engagement starts on the next run
    elif phase is Phase.EXITING:
        await exit_trial(slug)
    return None
