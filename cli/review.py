"""`trials review`: a person on the client side records the value of a client-review
expectation, which lets a rung waiting at its acceptance gate be accepted."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from config import get_settings
from models.errors import TrialsError

if TYPE_CHECKING:
    from models.acceptance import AcceptanceRequest
    from store.gates import OpenGate


def review(
    trial: Annotated[
        str, typer.Argument(help="The trial id.", metavar="TRIAL", show_default=False)
    ],
    expectation: Annotated[
        str,
        typer.Argument(
            help="The id of an expectation the plan sources from client_review.",
            metavar="EXPECTATION",
            show_default=False,
        ),
    ],
    value: Annotated[
        str,
        typer.Argument(
            help="What the client saw, in the expectation's unit: 3.1 or '3.1 points of 5'.",
            metavar="VALUE",
            show_default=False,
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(
            help="Who reviewed; TRIALS_ACTOR or your user name if not given.", show_default=False
        ),
    ] = None,
    note: Annotated[
        str, typer.Option(help="What the reviewer saw; kept as the value's evidence.")
    ] = "",
    rung: Annotated[
        str | None,
        typer.Option(
            help="The delivered rung reviewed; by default the one waiting for reviews, or "
            "else the latest delivered.",
            show_default=False,
        ),
    ] = None,
    correct: Annotated[
        str | None,
        typer.Option(
            help="Replace a review already recorded at the rung, saying why; both stay in "
            "the audit log.",
            metavar="REASON",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Record a client review; once a rung's reviews are all in, its waiting run goes on."""
    from models.tables import utcnow
    from store.context import load_context
    from store.db import read_session, write_session
    from store.gates import open_gate
    from store.reviews import acceptance_request, record_review

    settings = get_settings()
    reviewer = (settings.actor if by is None else by).strip()
    if not reviewer:
        raise TrialsError("--by is empty: say who reviewed; it is recorded with the value.")
    if correct is not None and not correct.strip():
        raise TrialsError("--correct is empty: say why the review is corrected; it is recorded.")
    with read_session(settings) as session:
        waiting = open_gate(session=session, slug=trial)
    with write_session(settings) as session:
        row, what = record_review(
            session=session,
            slug=trial,
            expectation=expectation,
            value=value,
            by=reviewer,
            note=note.strip(),
            rung=rung,
            correcting=correct,
        )
        recorded = f"{what} {row.value} for '{expectation}' by {reviewer}"
    from models.acceptance import AcceptanceRequest

    basis = waiting.basis if waiting is not None else None
    if not isinstance(basis, AcceptanceRequest) or waiting is None:
        typer.echo(f"Review {recorded}.")
        return
    with read_session(settings) as session:
        now = acceptance_request(
            session=session,
            trial=load_context(session=session, slug=trial),
            rung=basis.rung,
            today=utcnow().date(),
        )
    if now.missing:
        left = ", ".join(d.id for d in now.missing)
        typer.echo(f"Review {recorded}. {now.rung} still waits for: {left}.")
        return
    typer.echo(f"Review {recorded}. {waiting.gate}: every review due is in.")
    _let_the_run_go_on(waiting, now, reviewer)


def _let_the_run_go_on(gate: OpenGate, request: AcceptanceRequest, reviewer: str) -> None:
    """Resume the run paused at the acceptance gate with the reviews (JSON numbers, as its
    form asks; the run records none again); else say how the trial goes on."""
    from cli.decide import carried_on, paused_run, resume
    from flows.acceptance import field_name

    run = paused_run(gate)
    answer: dict[str, object] = {
        "reason": "reviewed with `trials review`",
        "decided_by": reviewer,
        **{field_name(k): float(v) for k, v in request.reviewed.items()},
    }
    if run is not None and resume(run, answer):
        typer.echo(f"Resumed {run.name}: it accepts the rung on the reviews and climbs on.")
        return
    from models.acceptance import ACCEPT
    from store.db import write_session
    from store.decisions import record_pending_decision

    with write_session(get_settings()) as session:  # the trial now waits for a run, not a person
        record_pending_decision(
            session=session,
            slug=gate.slug,
            trial_id=gate.trial_id,
            gate=gate.gate,
            choice=ACCEPT,
            recommendation=None,
            reason="reviewed with `trials review`",
            decided_by=", ".join(request.reviewers) or reviewer,
            evidence=request.evidence(),
            applied_by=gate.flow,
        )
    typer.echo(
        f"No run waits at {gate.gate}; the next run accepts the rung. {carried_on(gate, ACCEPT)}"
    )
