"""`trials exit-check`: rehearse a trial's exit without exiting, and say how ready it is."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Annotated

import typer

from config import get_settings

if TYPE_CHECKING:
    from sqlmodel import Session

    from models.context import TrialContext
    from models.exit_readiness import ExitReadiness

NOT_READY = 4  # distinct from 1 (refused), 2 (usage) and 3 (internal error)


def exit_check(
    trial: Annotated[
        str, typer.Argument(help="The id of a stored trial.", metavar="TRIAL", show_default=False)
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the rehearsal as JSON, for scripts.")
    ] = False,
) -> None:
    """Rehearse the exit of TRIAL without exiting, and score how ready it is.

    Lists the vendor's access grants and checks each is open and has its revocation on the
    exit plan; dry-runs the exit's data export (the vendor prepares nothing); lists the
    knowledge-transfer documents. Nothing changes at the vendor. The rehearsal is recorded
    for the reports; a vendor that does not answer is a failed check. It runs here, without
    Prefect; the weekly exit-checks deployment rehearses every active trial in Prefect.

    Exit codes: 0 ready (every check passed, score 1.0); 4 not ready (a check failed: its
    detail says what to do); 1 refused (an unknown trial, or one in draft, closed or
    aborted: nothing is checked or recorded).
    """
    result = asyncio.run(_rehearse(trial))
    if as_json:
        typer.echo(json.dumps(result.model_dump(mode="json"), indent=2))
    else:
        _show(result)
    if not result.ready:
        raise typer.Exit(NOT_READY)


async def _rehearse(slug: str) -> ExitReadiness:
    """Read the exit plan, ask the vendor, score the answers, and record the rehearsal."""
    from adapters.answers import answered
    from adapters.auth import resolve_token
    from adapters.contract import ExportRequest
    from adapters.registry import connect_to
    from models.exit_readiness import check_rehearsal_phase, export_ref, rehearsal
    from models.tables import utcnow
    from store.db import read_session, write_session
    from store.exits import exit_steps, record_rehearsal

    with read_session() as session:
        trial = _load(session, slug)
        check_rehearsal_phase(slug, trial.phase)
        steps = exit_steps(session=session, trial_id=trial.trial_id)
    vendor = trial.vendor
    api = connect_to(vendor, await resolve_token(vendor.name, vendor.token))
    request = ExportRequest(client_ref=export_ref(slug, steps), format="zip")
    try:
        grants, export, documents = await asyncio.gather(
            answered(api.access_grants(slug)),
            answered(api.check_export(slug, request)),
            answered(api.kt_documents(slug)),
        )
    finally:
        await api.aclose()
    notice_days = trial.plan.exit_plan.notice_days
    result = rehearsal(slug, grants, steps, export, documents, notice_days, utcnow())
    with write_session() as session:
        record_rehearsal(session=session, trial_id=trial.trial_id, result=result)
    return result


def _load(session: Session, slug: str) -> TrialContext:
    """The trial as stored; an unknown one is refused with the store it was looked for in."""
    from models.errors import NotFoundError
    from store.context import load_context
    from store.errors import shown

    try:
        return load_context(session=session, slug=slug)
    except NotFoundError as exc:
        raise NotFoundError(
            f"{exc} The store looked in is {shown(get_settings().store_url)} "
            "(TRIALS_DATABASE_URL names another). Nothing was checked or recorded."
        ) from None


def _show(result: ExitReadiness) -> None:
    """Print each check, then the score and what it means."""
    from rich import box
    from rich.table import Table

    from cli.render import console

    out = console()
    table = Table(
        title=f"Exit rehearsal of {result.trial} ({result.rehearsed_at:%Y-%m-%d %H:%M} UTC)",
        title_justify="left",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("check", no_wrap=True)
    table.add_column("target", no_wrap=True)
    table.add_column("result", no_wrap=True)
    table.add_column("detail", ratio=1, min_width=20)  # wraps between words, never thin
    for check in result.checks:
        table.add_row(
            check.check.value, check.target, "ok" if check.passed else "FAILED", check.detail
        )
    out.print(table)
    out.print(result.summary)
