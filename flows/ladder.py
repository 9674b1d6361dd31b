"""The pilot ladder: small projects first, one rung at a time, climbing while the gate holds."""

from __future__ import annotations

from datetime import date

from prefect import flow

from models.budget import forecast_cost
from models.gates import missed_reasons, over_cap
from models.phases import Phase
from models.scoring import scorecard
from tasks.ladder import (
    archive_deliverable,
    mark_rung,
    read_gate_inputs,
    record_delivery,
    record_submission,
    rungs_to_climb,
    stop_ladder,
)
from tasks.reporting import announce, label_run, show_progress, start_progress
from tasks.trial_state import load_trial, move_phase, save_intent, set_waiting
from tasks.vendor import (
    create_work_item,
    download_deliverable,
    list_deliverables,
    read_costs,
    read_metrics,
    wait_for_delivery,
)
from vendor.contract import WorkStatus
from vendor.orders import work_order


@flow(name="ladder", flow_run_name="ladder-{slug}")
async def ladder(slug: str, wait_seconds: float = 300.0) -> str:
    """Climb the open rungs in order; return "evaluating", or "waiting" for the vendor."""
    trial = await load_trial(slug)
    await label_run(trial, Phase.PILOTING)
    if trial.phase is not Phase.PILOTING:
        return trial.phase
    rungs = await rungs_to_climb(trial)
    progress = await start_progress(slug, f"{len(rungs)} rungs to climb")
    gate = await read_gate_inputs(trial)
    for number, rung in enumerate(rungs):
        too_dear = over_cap(
            gate.spent, forecast_cost(rung.estimate, gate.earned, gate.spent), trial.budget.cap
        )
        if too_dear:
            await stop_ladder(rung, [too_dear])
            announce("trials.budget.gate", slug, {"rung": rung.rung_key, "reason": too_dear})
            break

        order = work_order(
            trial, rung.rung_key, rung.title, rung.due_in_days, client_ref=rung.idempotency_key
        )
        await save_intent(
            trial.trial_id, rung.idempotency_key, "work_item", order.model_dump_json()
        )
        item = await create_work_item(trial.vendor, order, rung.idempotency_key)
        await record_submission(rung, rung.idempotency_key, item)

        item = await wait_for_delivery(trial.vendor, item.id, wait_seconds)
        if item.status is not WorkStatus.DELIVERED:
            await set_waiting(slug, f"vendor to deliver {rung.rung_key} ({item.status})")
            return "waiting"
        for deliverable in await list_deliverables(trial.vendor, item.id):
            content = await download_deliverable(trial.vendor, deliverable)
            await archive_deliverable(trial, rung, deliverable, content)
        rung = rung.model_copy(update={"vendor_ref": item.id})
        metrics = await read_metrics(trial.vendor, slug)
        await record_delivery(trial, rung, item, metrics, await read_costs(trial.vendor, slug))

        gate = await read_gate_inputs(trial)
        card = scorecard(trial.expectations, gate.measured, gate.rungs_done, date.today())
        if missed := missed_reasons(card):
            await stop_ladder(rung, missed)
            announce("trials.ladder.stopped", slug, {"rung": rung.rung_key, "reasons": missed})
            break
        await mark_rung(rung, "accepted")
        announce("trials.rung.completed", slug, {"rung": rung.rung_key, "spent": str(gate.spent)})
        await show_progress(progress, number + 1, len(rungs))
    await move_phase(
        slug, Phase.EVALUATING, "the ladder ended: climbed every rung or stopped at a gate"
    )
    return Phase.EVALUATING
