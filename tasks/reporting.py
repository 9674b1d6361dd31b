"""What the Prefect UI shows: progress artifacts and the project's events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import get_client, task
from prefect.artifacts import acreate_progress_artifact, aupdate_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext
from prefect.events import emit_event
from prefect.settings import PREFECT_UI_URL

from models.context import TrialContext
from models.labels import phase_tag, trial_tag, vendor_tag
from models.notify import GATE_OPENED, GateNotice, event_id
from models.phases import Phase


async def label_run(trial: TrialContext, phase: Phase | None = None) -> None:
    """Tag the running flow run with its vendor, trial and phase, for filtering in the UI.

    Only the flow run is tagged. Prefect's `tags()` context would tag every task run as
    well, and a tagged task run asks the API for concurrency slots before and after it
    runs: two writes per task that slowed a whole trial several-fold on SQLite.
    """
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    labels = {vendor_tag(trial.vendor.name), trial_tag(trial.slug)}
    if phase is not None:
        labels.add(phase_tag(phase))
    run = context.flow_run
    async with get_client() as client:
        await client.update_flow_run(run.id, tags=sorted(set(run.tags) | labels))


@task(cache_policy=NO_CACHE)
async def start_progress(slug: str, description: str) -> UUID:
    """A progress artifact for the ladder, at 0%."""
    return await acreate_progress_artifact(0.0, key=f"ladder-{slug}", description=description)


@task(cache_policy=NO_CACHE)
async def show_progress(artifact: UUID, done: int, total: int) -> None:
    """Move the ladder's progress artifact."""
    await aupdate_progress_artifact(artifact, 100.0 * done / max(total, 1))


def announce(name: str, slug: str, payload: dict[str, Any], key: str | None = None) -> None:
    """Emit a `trials.*` event about the trial; `key` gives it the same id on every attempt.

    Not a task: Prefect queues the event and sends it in the background, as it does log
    lines, and a task run around it would cost the API more than the event does.
    """
    emit_event(
        event=name,
        resource={"prefect.resource.id": f"trials.trial.{slug}", "prefect.resource.name": slug},
        payload=payload,
        id=event_id(slug, key) if key is not None else None,
    )


def announce_gate(notice: GateNotice) -> None:
    """Emit `trials.gate.opened`: the automations `trials deploy` made tell the plan's people."""
    payload = notice.model_dump() | {"subject": notice.subject, "message": notice.message}
    announce(GATE_OPENED, notice.slug, payload, key=f"{notice.gate}:opened")


async def form_url(this_run: bool) -> str | None:
    """The UI page of the run that holds a gate's form: this run if it pauses or suspends
    here, else the run this one is part of (the trial's run suspends there next)."""
    context = FlowRunContext.get()
    base = PREFECT_UI_URL.value()
    if context is None or context.flow_run is None or not base:
        return None
    run = context.flow_run
    if not this_run:
        async with get_client() as client:
            while run.parent_task_run_id is not None:
                parent = await client.read_task_run(run.parent_task_run_id)
                if parent.flow_run_id is None:
                    break
                run = await client.read_flow_run(parent.flow_run_id)
    return f"{base}/runs/flow-run/{run.id}"
