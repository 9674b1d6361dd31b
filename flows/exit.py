"""Exit: knowledge, data and access taken back from the vendor and the final invoice reconciled,
each step verified and recorded, so that a rerun resumes where the last run stopped."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC

from prefect import flow

from adapters.contract import AccessGrant, DataExport, ExportRequest, ExportStatus
from adapters.errors import VendorError
from models.context import TrialContext
from models.exit_rules import (
    KT_DOCUMENT,
    ExitReport,
    ExitStepError,
    ExitStopped,
    StepLine,
    StepStatus,
    check_exit_phase,
    failed_detail,
    kt_settled,
    not_archived,
    plan_step,
    poll_delays,
    reconcile,
)
from models.phases import Phase
from models.plan import ExitStepKind
from tasks.exit import (
    announce_step,
    archive_export,
    archive_kt_document,
    kt_documents,
    load_archived,
    load_exit_report,
    load_exit_steps,
    mark_step,
    publish_report,
    read_export,
    recorded_ref,
    request_export,
    revoke_grant,
)
from tasks.reporting import label_run
from tasks.trial_state import load_trial, move_phase, record_grants, save_intent, save_outcome
from tasks.vendor import list_grants, read_costs

KT_ROUNDS = 4  # rounds of download and relisting before the listing must have settled
REVOKE_ROUNDS = 3  # revoke requests per grant before a person has to step in

Step = Callable[[TrialContext, StepLine, float], Awaitable[str]]


@flow(name="exit", flow_run_name="exit-{slug}")
async def exit_trial(slug: str, max_wait_seconds: float = 120) -> ExitReport:
    """Run the exit plan's steps in order, each verified, then close the trial and report."""
    await label_run(await load_trial(slug), Phase.EXITING)
    return await run_exit(slug, max_wait_seconds)


async def run_exit(slug: str, max_wait_seconds: float = 120) -> ExitReport:
    """The exit's steps in the run that calls them: its own, or the trial's run."""
    trial = await load_trial(slug)
    check_exit_phase(slug, trial.phase)
    if trial.phase is Phase.CLOSED:
        return await load_exit_report(slug)  # exited before: the database says so
    for kind in trial.plan.exit_plan.steps:
        await run_step(trial, kind, max_wait_seconds)
    await move_phase(slug, Phase.CLOSED, "exit done: every step completed and verified")
    report = await load_exit_report(slug)
    await publish_report(report)
    return report


async def run_step(trial: TrialContext, kind: ExitStepKind, max_wait_seconds: float) -> None:
    """Run one step of the plan unless the store shows it done; a failure becomes its to-do."""
    step = plan_step(await load_exit_steps(trial.trial_id), kind)
    if step.status is StepStatus.DONE:
        return
    try:
        detail = await STEPS[kind](trial, step, max_wait_seconds)
    except (VendorError, ExitStepError) as exc:
        detail = failed_detail(kind, *_what_and_to_do(exc))
        await mark_step(step.key, StepStatus.FAILED, detail)
        await publish_report(await load_exit_report(trial.slug))
        raise ExitStopped(
            f"The exit of '{trial.slug}' stopped at {kind}; the trial stays in exiting. {detail}"
        ) from None
    await mark_step(step.key, StepStatus.DONE, detail)
    announce_step(trial.slug, step, detail)


async def knowledge_transfer(trial: TrialContext, step: StepLine, _: float) -> str:
    """Archive every KT document; done once two listings agree and each one is archived."""
    listed = await kt_documents(trial.vendor, trial.slug)
    archived = await load_archived(trial.trial_id, KT_DOCUMENT)
    for _round in range(KT_ROUNDS):
        missing = not_archived(listed, archived)
        archived += await asyncio.gather(
            *(archive_kt_document(trial.trial_id, trial.slug, trial.vendor, d) for d in missing)
        )
        relisted = await kt_documents(trial.vendor, trial.slug)
        if kt_settled(listed, relisted, archived):
            return f"{len(relisted)} documents archived; the vendor listed the same ones twice"
        listed = relisted
    raise ExitStepError(
        f"The vendor's list of knowledge-transfer documents still changed after {KT_ROUNDS} "
        "rounds of downloads.",
        "ask the vendor to finish publishing its knowledge-transfer documents",
    )


async def data_return(trial: TrialContext, step: StepLine, max_wait_seconds: float) -> str:
    """Request the export once (by the step's key), wait until ready, download and archive it."""
    request = ExportRequest(client_ref=step.key, format="zip")
    await save_intent(trial.trial_id, step.key, "data_export", request.model_dump_json())
    export = await _requested_export(trial, step.key, request)
    for delay in poll_delays(max_wait_seconds):
        if export.status is not ExportStatus.PENDING:
            break
        await asyncio.sleep(delay)
        export = await read_export(trial.vendor, export.id)
    if export.status is not ExportStatus.READY:
        raise ExitStepError(
            f"Export {export.id} is {export.status} after waiting {max_wait_seconds:g} s.",
            "ask the vendor when the export will be ready; if it takes long, give the next "
            "run a larger max_wait_seconds"
            if export.status is ExportStatus.PENDING
            else f"ask the vendor to prepare export {export.id} again",
        )
    file = await archive_export(trial.trial_id, trial.slug, trial.vendor, export)
    return f"export {export.id} archived as {file.name}: {file.size:,} bytes, sha256 {file.sha256}"


async def _requested_export(trial: TrialContext, key: str, request: ExportRequest) -> DataExport:
    """The export a past run recorded, or a new request under the same key."""
    export_id = await recorded_ref(key)
    if export_id is not None:
        return await read_export(trial.vendor, export_id)
    export = await request_export(trial.vendor, trial.slug, request, key)
    await save_outcome(key, export.id, export.model_dump_json())
    return export


async def access_revocation(trial: TrialContext, step: StepLine, _: float) -> str:
    """Revoke every grant the vendor holds; each is done once read back as revoked."""
    grants = await record_grants(trial)
    pending = await _confirm_revoked(trial, await _open_grant_steps(trial), grants, requests=0)
    for requests in range(1, REVOKE_ROUNDS + 1):
        if not pending:
            break
        for grant_step in pending:
            await _revoke(trial, grant_step)
        grants = await list_grants(trial.vendor, trial.slug)
        pending = await _confirm_revoked(trial, pending, grants, requests)
    if pending:
        raise await _unrevoked(pending, grants)
    done = [s for s in await load_exit_steps(trial.trial_id) if s.kind == step.kind and s.target]
    return f"{len(done)} access grants revoked and read back as revoked"


async def _revoke(trial: TrialContext, step: StepLine) -> None:
    """Ask the vendor to revoke the step's grant: intent first, outcome after."""
    assert step.target is not None
    await save_intent(trial.trial_id, step.key, "revoke_grant", json.dumps({"grant": step.target}))
    answer = await revoke_grant(trial.vendor, step.target, step.key)
    await save_outcome(step.key, answer.id, answer.model_dump_json())


async def _open_grant_steps(trial: TrialContext) -> list[StepLine]:
    steps = await load_exit_steps(trial.trial_id)
    return [
        s
        for s in steps
        if s.kind == ExitStepKind.ACCESS_REVOCATION and s.target and s.status != StepStatus.DONE
    ]


async def _confirm_revoked(
    trial: TrialContext, steps: list[StepLine], grants: list[AccessGrant], requests: int
) -> list[StepLine]:
    """Mark done the steps whose grant the vendor lists as revoked; return the others."""
    listed = {g.id: g for g in grants}
    pending = []
    for step in steps:
        grant = listed.get(step.target or "")
        if grant is None or grant.revoked_at is None:
            pending.append(step)
            continue
        detail = (
            f"{grant.system} ({grant.scope}) for {grant.principal}: read back revoked at "
            f"{grant.revoked_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
            + (f", after {requests} revoke requests" if requests > 1 else "")
        )
        await mark_step(step.key, StepStatus.DONE, detail)
        announce_step(trial.slug, step, detail)
    return pending


async def _unrevoked(steps: list[StepLine], grants: list[AccessGrant]) -> ExitStepError:
    """Leave a to-do on every grant still held, and the error that stops the step."""
    listed = {g.id: g for g in grants}
    for step in steps:
        grant = listed.get(step.target or "")
        where = f"in {grant.system}" if grant else "in the client system it opened"
        what = (
            f"Grant {step.target} still shows no revocation after {REVOKE_ROUNDS} requests"
            if grant
            else f"Grant {step.target} is no longer listed by the vendor, so it cannot be verified"
        )
        to_do = f"remove the vendor's access {where} yourself and ask the vendor to confirm"
        await mark_step(
            step.key, StepStatus.FAILED, failed_detail("access_revocation", what, to_do)
        )
    return ExitStepError(
        f"{len(steps)} access grants are not verified as revoked: "
        f"{', '.join(s.target or '?' for s in steps)}.",
        "see each grant's to-do; remove the access in the client's systems and ask the vendor "
        "to confirm",
    )


async def final_invoice(trial: TrialContext, step: StepLine, _: float) -> str:
    """Reconcile what was invoiced against the timesheets, the ladder estimate and the budget."""
    booked, billed = await read_costs(trial.vendor, trial.slug)
    return reconcile(trial.plan, trial.engagement, billed, booked).explanation


STEPS: dict[ExitStepKind, Step] = {
    ExitStepKind.KNOWLEDGE_TRANSFER: knowledge_transfer,
    ExitStepKind.DATA_RETURN: data_return,
    ExitStepKind.ACCESS_REVOCATION: access_revocation,
    ExitStepKind.FINAL_INVOICE: final_invoice,
}


def _what_and_to_do(exc: VendorError | ExitStepError) -> tuple[str, str]:
    """What failed, and what a person should do about it before the next run."""
    if isinstance(exc, ExitStepError):
        return exc.what, exc.to_do
    if exc.retryable:
        return str(exc), (
            f"check that the API of {exc.vendor} answers (`trials check-vendor PLAN`), or ask "
            "the vendor when it will be back"
        )
    return str(exc), exc.fix
