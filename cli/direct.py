"""`trials direct`: give the vendor an instruction, classified against the plan's authority split.

The command runs the steps itself, with the store and the vendor client, rather than as
a Prefect flow: it is one short exchange a person waits for at the terminal, and a flow
would add Prefect's start-up (about ten seconds with the temporary server) and its
logging to it. The steps keep the project's rule for side effects all the same: the
directive and its intent row are recorded first, with a key made from the trial, the
area and the words; the vendor gets that key as its Idempotency-Key and as the client
reference; and the vendor's id is recorded after. Running the same command again
therefore never makes a second directive, here or at the vendor: it forwards one the
vendor has not got yet, or says that it has it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Annotated

import typer

from config import get_settings
from models.errors import TrialsError

if TYPE_CHECKING:
    from adapters.contract import Directive, DirectiveCreate
    from adapters.registry import VendorAPI
    from models.context import TrialContext
    from models.directives import Instruction
    from store.directives import GivenDirective

# Exit code when the directive is recorded but the vendor could not be given it.
NOT_FORWARDED = 4


def direct(
    trial: Annotated[
        str, typer.Argument(help="The trial id.", metavar="TRIAL", show_default=False)
    ],
    text: Annotated[
        str,
        typer.Argument(help="The instruction, in words.", metavar="TEXT", show_default=False),
    ],
    area: Annotated[
        str,
        typer.Option(
            help="The area it concerns, from the plan's authority lists.", show_default=False
        ),
    ],
    because: Annotated[
        str,
        typer.Option(
            help="Why: required when the area is the vendor's (an override).", show_default=False
        ),
    ] = "",
    by: Annotated[
        str | None,
        typer.Option(
            help="Who gives it; TRIALS_ACTOR or your user name if not given.", show_default=False
        ),
    ] = None,
) -> None:
    """Give the vendor an instruction: in the vendor's area it is an override, counted.

    The directive is recorded, then forwarded to the vendor, who accepts it or pushes
    back (its answer arrives by webhook, or the monitor reads it). If the vendor cannot
    be reached, the directive stays recorded and the command exits with code 4: run the
    same command again to forward it.
    """
    issued_by = (get_settings().actor if by is None else by).strip()
    if not issued_by:
        raise TrialsError("--by is empty: say who gives the directive; it is recorded.")
    typer.echo(asyncio.run(_give(trial, text, area, because, issued_by)))


async def _give(slug: str, text: str, area: str, because: str, issued_by: str) -> str:
    """Check, record, forward and record again; the message to print."""
    from adapters.errors import VendorError
    from models.directives import classify, directive_key

    context = _context(slug)
    instruction = classify(slug, text, area, because, context.plan.authority)
    api = await _open(context)  # a missing token refuses here, before anything is recorded
    key = directive_key(slug, context.engagement, instruction)
    try:
        directive, new = _record(context, key, instruction, issued_by)
        if directive.forwarded:
            return _already(directive)
        try:
            answer = await api.post_directive(slug, _request(key), key)
        except VendorError as exc:
            typer.echo(_not_forwarded(slug, directive, new, exc), err=True)
            raise typer.Exit(NOT_FORWARDED) from None
    finally:
        await api.aclose()
    _forwarded(key, answer)
    return _done(context, instruction, answer, new)


def _context(slug: str) -> TrialContext:
    """The trial, its vendor and plan; refused once the trial is finished."""
    from models.phases import TERMINAL
    from store.context import load_context
    from store.db import read_session

    with read_session(get_settings()) as session:
        context = load_context(session=session, slug=slug)
    if context.phase in TERMINAL:
        raise TrialsError(
            f"Trial '{slug}' is {context.phase}: there is no vendor engagement left to "
            f"instruct. `trials show {slug}` shows how it ended."
        )
    return context


async def _open(context: TrialContext) -> VendorAPI:
    """The vendor's API, through the plan's adapter and with the plan's token."""
    from adapters.auth import resolve_token
    from adapters.registry import connect_to

    vendor = context.vendor
    return connect_to(vendor, await resolve_token(vendor.name, vendor.token))


def _record(
    context: TrialContext, key: str, instruction: Instruction, issued_by: str
) -> tuple[GivenDirective, bool]:
    """The directive and its intent, written before the vendor hears of it."""
    from adapters.contract import DirectiveCreate
    from store.db import write_session
    from store.directives import record_directive

    body = DirectiveCreate(
        client_ref=key,
        text=instruction.text,
        area=instruction.area,
        justification=instruction.justification or None,
    )
    with write_session(get_settings()) as session:
        return record_directive(
            session=session,
            trial_id=context.trial_id,
            key=key,
            instruction=instruction,
            issued_by=issued_by,
            request_json=body.model_dump_json(),
        )


def _request(key: str) -> DirectiveCreate:
    """The body recorded with the intent: every attempt sends the same one."""
    from adapters.contract import DirectiveCreate
    from store.db import read_session
    from store.directives import intent_request

    with read_session(get_settings()) as session:
        return DirectiveCreate.model_validate_json(intent_request(session=session, key=key))


def _forwarded(key: str, answer: Directive) -> None:
    """Record the vendor's id, and its answer if it gave one at once."""
    from store.db import write_session
    from store.directives import record_forwarded, record_vendor_answer

    with write_session(get_settings()) as session:
        record_forwarded(
            session=session, key=key, vendor_ref=answer.id, response_json=answer.model_dump_json()
        )
        record_vendor_answer(session=session, key=key, directive=answer)


def _done(context: TrialContext, instruction: Instruction, answer: Directive, new: bool) -> str:
    """What was given, whose area it entered, and where the vendor's answer will show."""
    what = (
        f"an override of the vendor's area '{instruction.area}' (because: "
        f"{instruction.justification})"
        if instruction.is_override
        else f"a directive in the client's area '{instruction.area}'"
    )
    again = "" if new else " (recorded by an earlier attempt)"
    return (
        f"Gave {context.vendor.name} {what}{again}; the vendor has it as {answer.id}. Its "
        f"answer arrives by webhook, or the monitor reads it; `trials show {context.slug}` "
        "shows it."
    )


def _already(directive: GivenDirective) -> str:
    """The same directive again: nothing sent, nothing recorded."""
    answer = (
        "not answered yet"
        if directive.outcome is None
        else f"{directive.outcome.replace('_', ' ')}: {directive.answer}"
    )
    return (
        f"This directive was given on {directive.issued_at:%Y-%m-%d %H:%M} by "
        f"{directive.issued_by}, and the vendor has it as {directive.vendor_ref} ({answer}). "
        "Nothing was sent again."
    )


def _not_forwarded(slug: str, directive: GivenDirective, new: bool, error: Exception) -> str:
    """The directive is recorded, the vendor does not have it: how to retry."""
    recorded = "is recorded" if new else "was recorded before"
    return (
        f"Error: the directive {recorded} but not forwarded: {error} Run the same "
        f"`trials direct {slug} ...` command again to forward it; it is not given twice."
    )
