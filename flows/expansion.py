"""Expansion: the larger engagement opens with its own ladder, expectations and budget."""

from __future__ import annotations

from prefect import flow

from flows.onboarding import acknowledge_expectations
from models.evaluation import require_phase
from models.phases import Phase
from tasks.evaluation import open_engagement
from tasks.reporting import label_run
from tasks.trial_state import load_trial, move_phase


@flow(name="expansion", flow_run_name="expansion-{slug}")
async def expansion(slug: str) -> None:
    """Open the plan's expansion as the next engagement; the exit plan carries forward."""
    await label_run(await load_trial(slug), Phase.EXPANDING)
    await expand(slug)


async def expand(slug: str) -> None:
    """The expansion's steps in the run that calls them: its own, or the trial's run."""
    trial = await load_trial(slug)
    if trial.phase is Phase.PILOTING and trial.engagement > 1:
        return  # opened before: the database says so
    require_phase(
        slug, trial.phase, Phase.EXPANDING, "an expansion opens after a decision to expand"
    )
    note = await open_engagement(slug)
    # The vendor measures its work against the expectations it acknowledged: now the larger
    # engagement's. Before the move, so a rerun after a crash still sends them (once, by key).
    acknowledged = await acknowledge_expectations(await load_trial(slug), Phase.EXPANDING)
    await move_phase(slug, Phase.PILOTING, f"{note}; {acknowledged} expectations acknowledged")
