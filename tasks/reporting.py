"""What the Prefect UI shows: progress artifacts and the project's events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import get_client
from prefect.artifacts import acreate_progress_artifact, aupdate_progress_artifact
from prefect.context import FlowRunContext
from prefect.events import Event, emit_event
from prefect.events.clients import get_events_client
from prefect.events.related import related_resources_from_run_context
from prefect.events.worker import should_emit_events
from prefect.settings import PREFECT_UI_URL

from models.context import TrialContext
from models.labels import phase_tag, trial_tag, vendor_tag
from models.monitor import DECISION_RECORDED
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


async def start_progress(slug: str, description: str) -> UUID:
    """A progress artifact for the ladder, at 0%."""
    return await acreate_progress_artifact(0.0, key=f"ladder-{slug}", description=description)


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
        resource=_resource(slug),
        payload=payload,
        id=event_id(slug, key) if key is not None else None,
    )


async def announce_gate(notice: GateNotice) -> None:
    """Send `trials.gate.opened` now: the automations `trials deploy` made tell the plan's
    people. The caller then records it as sent (`tasks.trial_state.mark_gate_announced`).

    Raises what Prefect's events client raises when the server cannot take it."""
    payload = notice.model_dump() | {"subject": notice.subject, "message": notice.message}
    await send_event(GATE_OPENED, notice.slug, payload, key=f"{notice.gate}:opened")


async def announce_decision(slug: str, gate: str, choice: str) -> None:
    """Send `trials.decision.recorded` about the trial now: the carry-on deployment's
    trigger (prefect.yaml) starts the run that applies the decision, without waiting for
    the monitor's round. Raises as `send_event` does."""
    payload = {"gate": gate, "choice": choice}
    await send_event(DECISION_RECORDED, slug, payload, key=f"{gate}:decided")


async def send_event(name: str, slug: str, payload: dict[str, Any], key: str | None = None) -> None:
    """Send a `trials.*` event about the trial to the Prefect server before returning, its
    id derived from `key` (else a new one), and its related resources (the flow run, its
    deployment...) those `emit_event` would give it.

    Unlike `announce`, which hands the event to Prefect's background worker (a process
    killed before that sends it loses it, and a failed send is only logged), this raises
    when the server does not take it, after the events client's reconnection attempts:
    what the caller then records as sent was sent. Without a Prefect API, nothing is sent.
    """
    if not should_emit_events():
        return
    event = Event(event=name, resource=_resource(slug), payload=payload)
    if key is not None:
        event.id = event_id(slug, key)
    async with get_client() as client:
        event.related = await related_resources_from_run_context(client)
    async with get_events_client() as events:
        await events.emit(event)


def _resource(slug: str) -> dict[str, str]:
    return {"prefect.resource.id": f"trials.trial.{slug}", "prefect.resource.name": slug}


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
