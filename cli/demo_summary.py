"""What `trials demo` prints at its end: the outcomes, why, and what to run next."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from models.money import money

if TYPE_CHECKING:
    from store.outcomes import TrialOutcome

SERVER_UI = "http://127.0.0.1:4200"  # where `trials server` serves the UI by default


def print_summary(
    out: Console, outcomes: list[TrialOutcome], seconds: float, reports: Path, ui: str | None
) -> None:
    """The outcomes as a table that fits 80 columns, the reasons below it, then next steps.

    `reports` is the folder `trials report` writes into; `ui` the Prefect UI that holds the
    demo's runs, or None when they ran on a temporary server.
    """
    out.print(outcome_table(outcomes, seconds))
    out.print("Why:")
    for o in outcomes:
        because = o.stopped or (o.why or "no decision recorded").split(";")[0]
        # Wrapped as a paragraph at the terminal's width, indented under the heading.
        reason = Padding(
            Text.assemble((o.slug, "bold"), f": {because}"), (0, 0, 0, 2), expand=False
        )
        out.print(reason, soft_wrap=False)
    if stood_in := [(o.slug, gate) for o in outcomes for gate in o.stood_in]:
        out.print(
            Padding(
                Text(
                    "Answered by policy, as --auto does: "
                    + ", ".join(f"{gate} of {slug}" for slug, gate in stood_in)
                    + ". No client reviewed those rungs, so the vendor's own figures stand "
                    "in, labelled 'vendor-reported, taken by policy' on the scorecard; "
                    "`trials review` records what the client saw."
                ),
                (1, 0, 0, 0),
            ),
            soft_wrap=False,
        )
    out.print()
    for line in next_steps(outcomes, reports, ui):
        out.print(line, soft_wrap=True)


def outcome_table(outcomes: list[TrialOutcome], seconds: float) -> Table:
    """One row a trial; ids and amounts are never wrapped, so each stays whole."""
    currencies = sorted({o.currency for o in outcomes})
    table = Table(
        title=f"Demo: {len(outcomes)} trials in {seconds:.1f} s",
        title_justify="left",
        caption="rungs: accepted of planned, in the pilot then in the expansion",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column("trial", no_wrap=True)
    table.add_column("phase now", no_wrap=True)
    table.add_column("rungs", justify="right", no_wrap=True)
    table.add_column(f"spent {', '.join(currencies)}", justify="right", no_wrap=True)
    table.add_column("decision", no_wrap=True)
    for o in outcomes:
        table.add_row(
            o.slug,
            o.phase,
            " then ".join(f"{accepted}/{total}" for accepted, total in o.rungs),
            money(o.spent, o.currency) + ("" if len(currencies) == 1 else f" {o.currency}"),
            o.decision or "-",
        )
    return table


def next_steps(outcomes: list[TrialOutcome], reports: Path, ui: str | None) -> list[str]:
    """Three things to do next, each a command to paste: write a report, open it, the UI."""
    shown = next((o for o in outcomes if o.decision == "expand"), outcomes[0])
    store = os.environ.get("TRIALS_DATA_DIR")
    trials = (f"TRIALS_DATA_DIR={shlex.quote(store)} " if store else "") + _trials()
    page = reports / f"{shown.slug}.html"
    lines = [
        f"Next: write the report of the {shown.vendor} trial (HTML and Markdown),",
        f"  {trials} report {shown.slug}",
        "open it in a browser,",
        f"  {_opener()} {shlex.quote(str(page))}",
    ]
    if ui:
        lines += [
            "and see the demo's flow runs, artifacts and events in the Prefect UI:",
            f"  {ui}",
        ]
    else:
        lines += [
            f"and start the Prefect UI, at {SERVER_UI}, for the runs of the trials you start:",
            f"  {_trials()} server",
            "(The demo's own runs were on a temporary server and ended with it; rerun the "
            f"demo with PREFECT_API_URL={SERVER_UI}/api set to see them in the UI.)",
        ]
    return lines


def _trials() -> str:
    """The `trials` command as this shell can run it: by name when it is on the PATH."""
    if shutil.which("trials"):
        return "trials"
    program = Path(sys.argv[0]).absolute()
    try:
        return shlex.quote(f"./{program.relative_to(Path.cwd())}")
    except ValueError:
        return shlex.quote(str(program))


def _opener() -> str:
    """The command that opens a file in the browser on this system."""
    return {"darwin": "open", "win32": "start"}.get(sys.platform, "xdg-open")
