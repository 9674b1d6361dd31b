"""`trials rescore`: the evaluation recomputed under other weights or thresholds; a what-if
that reads the store and records nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from config import get_settings

if TYPE_CHECKING:
    from models.bakeoff_rescore import BakeoffRescore
    from models.rescore import Rescore


def rescore(
    trial: Annotated[
        str,
        typer.Argument(
            help="The id of a stored trial, or of a bake-off: every vendor on its shared "
            "ladder, and the vendor advised.",
            metavar="TRIAL_OR_BAKEOFF",
            show_default=False,
        ),
    ],
    weight: Annotated[
        list[str] | None,
        typer.Option(
            "--weight",
            help="EXPECTATION=W: weigh that expectation W (0 or more) instead; repeat for more.",
            metavar="EXPECTATION=W",
            show_default=False,
        ),
    ] = None,
    expand_at: Annotated[
        str | None,
        typer.Option(help="Expand at this score instead: 0.85 or 85%.", show_default=False),
    ] = None,
    exit_below: Annotated[
        str | None,
        typer.Option(help="Exit below this score instead: 0.5 or 50%.", show_default=False),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
) -> None:
    """What if TRIAL were scored with other weights or thresholds? Old and new side by side.

    Recomputes the current engagement's scorecard and recommendation from the stored
    measurements, says what changed the outcome, and, for each expectation, the weight
    (0 to 10) at which the recommendation would flip. For a bake-off, every vendor's
    shared ladder as it stood at the selection, the vendor advised, and the weight at
    which another would be. It never changes the record.
    """
    from datetime import date

    from models.bakeoff_rescore import rescore_bakeoff
    from models.rescore import WhatIf, parse_share, parse_weights
    from models.rescore import rescore as recompute
    from store.bakeoffs import is_bakeoff, rescore_entrants
    from store.db import read_session
    from store.rescore import rescore_inputs

    change = WhatIf(
        weights=parse_weights(weight or []),
        expand_at=parse_share(expand_at, "--expand-at"),
        exit_below=parse_share(exit_below, "--exit-below"),
    )
    with read_session(get_settings()) as session:
        if is_bakeoff(session=session, name=trial):
            row, entrants = rescore_entrants(session=session, bakeoff=trial, today=date.today())
            chosen = rescore_bakeoff(
                row.slug, row.currency, entrants, change, date.today(), row.selected
            )
            if as_json:
                typer.echo(chosen.model_dump_json(indent=2))
            else:
                _print_bakeoff(chosen)
            return
        facts, decided = rescore_inputs(session=session, slug=trial)
    result = recompute(facts, change, date.today(), decided)
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    _print(result)


def _print(result: Rescore) -> None:
    from rich import box
    from rich.table import Table

    from cli.render import console

    out = console()
    outcome = Table(
        title=f"{result.slug}: engagement {result.engagement}, what if (at {result.gate})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    outcome.add_column("")
    outcome.add_column("stored", no_wrap=True)
    outcome.add_column("what-if", no_wrap=True)
    for name, old, new in (
        ("score", _pct(result.old.score), _pct(result.new.score)),
        ("recommendation", result.old.choice, result.new.choice),
        ("expand at", _pct(result.old.expand_at), _pct(result.new.expand_at)),
        ("exit below", _pct(result.old.exit_below), _pct(result.new.exit_below)),
    ):
        outcome.add_row(name, str(old), str(new))
    out.print(outcome)
    lines = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in ("expectation", "met", "weight", "what-if", "flips (weight 0-10)"):
        lines.add_column(column, no_wrap=column != "flips (weight 0-10)")
    flips = {s.id: s.line for s in result.sensitivity}
    for line in result.lines:
        met = "not due" if not line.due else ("yes" if line.met else "no")
        lines.add_row(line.id, met, _num(line.old_weight), _num(line.new_weight), flips[line.id])
    out.print(lines)
    out.print("What changed:")
    for said in result.changes:
        out.print(f"  - {said}")
    recorded = result.decided or "no decision yet at this engagement's evaluation"
    out.print(f"On record, unchanged: {recorded}. A what-if records nothing.")


def _print_bakeoff(result: BakeoffRescore) -> None:
    from rich import box
    from rich.table import Table

    from cli.render import console

    out = console()
    vendors = Table(
        title=f"bake-off {result.bakeoff}: the shared ladder, what if",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    for column in ("vendor", "score", "what-if", "its advice", "what-if "):
        vendors.add_column(column, no_wrap=True)
    for s in result.standings:
        vendors.add_row(
            s.vendor,
            _pct(s.old_score),
            _pct(s.new_score),
            s.old_choice or "not evaluated",
            s.new_choice or "not evaluated",
        )
    out.print(vendors)
    for name, advice in (
        ("Advised as stored", result.old),
        ("Advised under the what-if", result.new),
    ):
        out.print(f"{name}: {advice.vendor or 'none'}. " + "; ".join(advice.reasons))
    out.print("Where the advice would change (weight 0-10):")
    for line in result.sensitivity:
        out.print(f"  - {line.id} (weight {_num(line.weight)}): {line.line}")
    recorded = result.selected or "no selection yet"
    out.print(f"On record, unchanged: {recorded}. A what-if records nothing.")


def _pct(value: object) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _num(value: object) -> str:
    from decimal import Decimal

    assert isinstance(value, Decimal)
    return f"{value.normalize():f}"
