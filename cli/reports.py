"""`trials budget` and `trials report`: the money and the whole trial, for people to read.

Both read the store only: no vendor call, and no Prefect (the weekly status-report
deployment publishes the same report to the Prefect UI as artifacts).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from config import get_settings
from models.errors import TrialsError

if TYPE_CHECKING:
    from models.budget import BudgetReport

TrialArg = Annotated[
    str, typer.Argument(help="The id of a stored trial.", metavar="TRIAL", show_default=False)
]
OutOption = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="The folder to write into. [default: reports/ in the data directory]",
        show_default=False,
        file_okay=False,
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]


def budget(trial: TrialArg, out: OutOption = None, as_json: JsonFlag = False) -> None:
    """Show the budget of TRIAL's current engagement, and draw its burn chart (a PNG).

    Burn per rung and in total against the estimate; the estimate at completion (actual
    cost plus the remaining estimate at the cost performance so far); the thresholds and
    when spend crossed them; and each timesheet line or invoice that does not reconcile
    with the rate card.
    """
    from models.budget import budget_report
    from reports.chart import burn_chart
    from reports.render import chart_name
    from store.budget import budget_facts
    from store.db import read_session

    with read_session(get_settings()) as session:
        report = budget_report(budget_facts(session=session, slug=trial))
    folder = out or _reports_folder()
    chart = folder / chart_name(trial)
    with _writable(folder):
        folder.mkdir(parents=True, exist_ok=True)
        chart.write_bytes(burn_chart(report))
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json") | {"chart": str(chart)}, indent=2))
        return
    _budget_tables(report)
    typer.echo(f"Burn chart: {chart}")


def report(
    trial: Annotated[
        str,
        typer.Argument(
            help="The id of a stored trial, or of a bake-off.",
            metavar="TRIAL_OR_BAKEOFF",
            show_default=False,
        ),
    ],
    out: OutOption = None,
) -> None:
    """Write TRIAL's report as one self-contained HTML page and as Markdown, with its chart.

    The plan in brief, the ladder's timeline, the scorecard and the override index, the
    budget with its burn chart, the directives, the decisions with their reasons, and the
    exit's readiness (the latest `trials exit-check`) or, once exiting, its result. For a
    bake-off: every vendor side by side, with a chart of the score per expectation per
    vendor and one of every vendor's burn.
    """
    from reports.gather import gather
    from reports.render import render, write
    from store.bakeoffs import is_bakeoff
    from store.db import read_session

    with read_session(get_settings()) as session:
        if is_bakeoff(session=session, name=trial):
            return _bakeoff_report(trial, out)
        gathered = gather(session=session, slug=trial)
    folder = out or _reports_folder()
    with _writable(folder):
        paths = write(render(gathered), folder, trial)
    for kind, path in zip(("HTML", "Markdown", "Burn chart"), paths, strict=True):
        typer.echo(f"{kind}: {path}")


def _bakeoff_report(bakeoff: str, out: Path | None) -> None:
    """Write the bake-off's side-by-side report: HTML, Markdown and its two charts."""
    from reports.bakeoff import gather_bakeoff, render_bakeoff, write_bakeoff
    from store.db import read_session

    with read_session(get_settings()) as session:
        gathered = gather_bakeoff(session=session, bakeoff=bakeoff)
    folder = out or _reports_folder()
    with _writable(folder):
        paths = write_bakeoff(render_bakeoff(gathered), folder, bakeoff)
    for kind, path in zip(("HTML", "Markdown", "Score chart", "Burn chart"), paths, strict=True):
        typer.echo(f"{kind}: {path}")


def _reports_folder() -> Path:
    return get_settings().data_dir / "reports"


@contextmanager
def _writable(folder: Path) -> Iterator[None]:
    """A folder that cannot be written to, said in one paragraph."""
    try:
        yield
    except OSError as exc:
        raise TrialsError(
            f"Cannot write the report files into {folder}: {exc.strerror or exc}. Choose a "
            "folder you can write to with --out DIR."
        ) from None


def _budget_tables(report: BudgetReport) -> None:
    from functools import partial

    from models.money import money as money_in

    money = partial(money_in, currency=report.currency)

    console = Console()
    status = report.status
    rungs = Table(
        title=f"{report.slug}: budget of engagement {report.engagement} ({report.currency})",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    # Rung ids and amounts are never wrapped or cut: every column is as wide as its values.
    for column in ("rung", "status", "estimate", "actual", "invoiced", "variance", "to date"):
        if column in ("rung", "status"):
            rungs.add_column(column, no_wrap=True)
        else:
            rungs.add_column(column, justify="right", no_wrap=True)
    for row in report.rungs:
        rungs.add_row(
            row.rung,
            row.status,
            money(row.estimate),
            money(row.actual),
            money(row.invoiced),
            money(row.variance),
            money(row.cumulative_actual),
        )
    rungs.add_section()
    rungs.add_row("total", "", money(status.planned), money(status.actual), "", "", "")
    console.print(rungs)
    cpi = "–" if status.cost_performance is None else str(status.cost_performance)
    console.print(
        f"Estimate at completion [bold]{money(status.forecast)}[/] (cost performance {cpi}) "
        f"against the estimate {money(report.estimate)} and the cap {money(report.cap)}.",
        highlight=False,
    )
    marks = Table(title="thresholds", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False)
    for column in ("threshold", "amount", "crossed"):
        marks.add_column(column, no_wrap=True)
    for mark in report.marks:
        crossed = mark.crossed_at.strftime("%Y-%m-%d %H:%M UTC") if mark.crossed_at else "no"
        marks.add_row(mark.label, money(mark.amount), crossed)
    console.print(marks)
    if report.flags:
        console.print("[bold red]Does not reconcile with the rate card:[/]")
        for flag in report.flags:
            console.print(f"  - {flag}", highlight=False)
    else:
        console.print("Every timesheet line is at the rate card; every invoice matches its hours.")
