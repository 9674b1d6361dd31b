"""The exit rehearsal: check that the exit could run now, without running it, and record how
ready it is; weekly, for every trial that has started and not finished."""

from __future__ import annotations

import asyncio

from prefect import flow, get_run_logger

from adapters.contract import ExportRequest
from models.exit_readiness import ExitReadiness, check_rehearsal_phase, export_ref, rehearsal
from models.tables import utcnow
from tasks.exit import load_exit_steps
from tasks.exit_check import (
    documents_listed,
    dry_run_export,
    grants_held,
    load_rehearsable,
    publish_readiness,
    save_rehearsal,
)
from tasks.reporting import announce, label_run
from tasks.trial_state import load_trial


@flow(name="exit-check", flow_run_name="exit-check-{slug}")
async def exit_check(slug: str) -> ExitReadiness:
    """Rehearse the trial's exit: grants listed and revocable, export dry run, KT documents."""
    trial = await load_trial(slug)
    await label_run(trial)
    check_rehearsal_phase(slug, trial.phase)
    steps = await load_exit_steps(trial.trial_id)
    request = ExportRequest(client_ref=export_ref(slug, steps), format="zip")
    grants, export, documents = await asyncio.gather(
        grants_held(trial.vendor, slug),
        dry_run_export(trial.vendor, slug, request),
        documents_listed(trial.vendor, slug),
    )
    notice_days = trial.plan.exit_plan.notice_days
    result = rehearsal(slug, grants, steps, export, documents, notice_days, utcnow())
    await save_rehearsal(trial.trial_id, result)
    await publish_readiness(result)
    announce(
        "trials.exit.rehearsed",
        slug,
        {
            "score": str(result.score),
            "ready": result.ready,
            "failed": [c.model_dump(mode="json") for c in result.failed],
        },
    )
    return result


@flow(name="exit-checks", flow_run_name="exit-checks")
async def exit_checks() -> dict[str, int]:
    """Rehearse the exit of every trial that has started and not finished: the weekly run."""
    slugs = await load_rehearsable()
    ready = failed = 0
    for slug in slugs:
        state = await exit_check(slug, return_state=True)
        if state.is_completed():
            ready += (await state.aresult()).ready
        else:  # one trial's store or token trouble must not stop the others' rehearsals
            failed += 1
            get_run_logger().warning("The exit of %s was not rehearsed: %s", slug, state.message)
    return {"rehearsed": len(slugs) - failed, "ready": ready, "failed": failed}
