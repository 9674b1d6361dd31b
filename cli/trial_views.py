"""Rich views of stored trials for `trials list` and `trials show`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich import box
from rich.table import Table
from rich.text import Text

from cli.render import console
from models.display import shown_value
from models.money import money
from models.names import readable_slug
from store.listing import TrialPage

if TYPE_CHECKING:
    from datetime import datetime

    from models.notify import Unsent
    from models.status import LatestRun, TrialStatus
    from store.trials import TrialDetail


def trials_table(page: TrialPage) -> None:
    """Print one row per trial, and say how many more there are."""
    trials, total = page.trials, page.total
    out = console()
    if not trials:
        out.print("No trials stored yet. `trials create PLAN` adds one.")
        return
    title = (
        f"{total} trial(s)"
        if total == len(trials)
        else (
            f"{len(trials)} of {total} trials, most recently changed first "
            "(--limit 0 shows all, --json is for scripts)"
        )
    )
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
    )
    table.add_column("trial", no_wrap=True)
    table.add_column("vendor", ratio=1, min_width=14)  # the one column that wraps
    table.add_column("phase", no_wrap=True)
    table.add_column("rungs", justify="right", no_wrap=True)
    table.add_column("estimate / cap", justify="right", no_wrap=True)
    for t in trials:
        table.add_row(
            t.slug,
            t.vendor,
            t.phase,
            f"{t.rungs_done}/{t.rungs_total}",
            f"{t.estimate:,.0f} / {t.cap:,.0f} {t.currency}",
        )
    out.print(table)


WIDE = 110  # columns a terminal needs for the status table; narrower ones get a list
TICKETS_SHOWN = 6  # ticket ids `trials show` lists beside a value measured from tickets


def status_table(statuses: list[TrialStatus], runs: dict[str, LatestRun], now: datetime) -> None:
    """Print every trial's phase, rung, burn, wait, escalations and latest run's state, as a
    table on a wide terminal and as a list on a narrow one; then the runs' addresses in the
    UI, one a line, where a terminal can show them whole."""
    out = console()
    if not statuses:
        out.print("No trials stored yet. `trials create PLAN` adds one.")
        return
    rows = [_status_row(s, runs.get(s.slug), now) for s in statuses]
    if out.width >= WIDE:
        table = Table(title=f"{len(statuses)} trial(s)", title_justify="left", box=box.SIMPLE_HEAD)
        table.add_column("trial", no_wrap=True)
        for column in list(rows[0])[1:]:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row.values())
        out.print(table)
    else:
        out.print(f"{len(statuses)} trial(s)")
        for row in rows:
            fields = iter(row.items())
            _, trial = next(fields)
            out.print(Text(trial.plain, style="bold"))
            for name, value in fields:
                out.print(Text.assemble(f"  {name}: ", value))
    links = [(s.slug, runs[s.slug]) for s in statuses if s.slug in runs and runs[s.slug].url]
    if links:
        out.print("Latest runs in the Prefect UI:")
        for slug, run in links:
            out.print(f"  {slug}: {run.url}", soft_wrap=True, highlight=False)
    if failed := [slug for slug, run in runs.items() if run.ended_badly]:
        out.print(
            f"The latest run of {', '.join(failed)} did not finish: its log in the UI says why. "
            "Once that is fixed, `trials start TRIAL` carries the trial on from where the "
            "store says it is.",
            highlight=False,
        )


def unsent_lines(unsent: list[Unsent], days: int) -> None:
    """Print the notifications that could not be sent, newest first, a line each; nothing
    when all were sent."""
    if not unsent:
        return
    out = console()
    out.print(f"Notifications not sent in the last {days} day(s), newest first:")
    for each in unsent:
        out.print(f"  {each.line}", highlight=False)


def _status_row(s: TrialStatus, run: LatestRun | None, now: datetime) -> dict[str, Text]:
    """One trial's status, column by column."""
    return {
        "trial": Text(s.slug),
        "phase": Text(f"{s.phase} (e{s.engagement})"),
        "rung": Text(s.rung),
        "spent": Text(s.burn),
        "waiting for": Text(s.waiting(now, run)),
        "escalations": Text(str(len(s.escalations)) if s.escalations else "-"),
        "latest run": Text(run.state, style="bold red" if run.ended_badly else "")
        if run
        else Text("-"),
    }


def trial_panels(detail: TrialDetail) -> None:
    """Print a trial's header, then its rungs, expectations, exit steps and audit log."""
    out, t = console(), detail.trial
    out.print(Text.assemble((t.slug, "bold"), f": {t.title}"))
    out.print(
        Text.assemble(
            f"vendor {detail.vendor.name} at {detail.vendor.base_url}, phase ",
            (t.phase, "bold"),
            f", engagement {t.engagement}",
        )
    )
    path = f"/webhooks/{readable_slug(detail.vendor.name)}"
    out.print(f"webhooks: the vendor signs and sends them to {path}")
    out.print(
        f"budget: estimate {money(t.budget_estimate, t.currency)} {t.currency}, contingency "
        f"{t.budget_contingency:.0%}, cap {money(t.budget_cap, t.currency)}"
    )
    out.print(_ladder(detail))
    out.print(
        _table(
            "Expectations",
            [
                "expectation",
                "measured as",
                "source, and due from",
                "latest, and where from",
                "weight",
            ],
            [
                [
                    e.key,
                    f"{e.metric}\n{e.comparator} {e.target.normalize():f} {e.unit}",
                    f"{e.source}, from {e.holds_from or e.holds_by}",
                    _latest(detail, e.id, e.unit),
                    f"{e.weight.normalize():f}",
                ]
                for e in detail.expectations
            ],
            # a metric is a name: never wrapped
            prose={"source, and due from": 14, "latest, and from": 16},
        )
    )
    out.print(
        _table(
            "Exit plan",
            ["#", "step", "target", "status"],
            [[str(s.position + 1), s.kind, s.target or "-", s.status] for s in detail.exit_steps],
        )
    )
    if detail.directives:
        out.print(_directives(detail))
    out.print(
        _table(
            "Audit log",
            ["when", "what, and why"],
            [
                [
                    f"{a.at:%Y-%m-%d %H:%M}",
                    f"{a.actor}: {a.action}"
                    + (f" ({a.from_phase or '-'} -> {a.to_phase})" if a.to_phase else "")
                    + (f"\n{a.reason}" if a.reason else ""),
                ]
                for a in detail.audit
            ],
            prose={"what, and why": 20},
        )
    )


def _ladder(detail: TrialDetail) -> Table:
    """The rungs; the engagement is a column only once there is more than one."""
    several = len({r.engagement for r in detail.rungs}) > 1
    columns = ["rung", "title", "hours", "estimate", "status", "vendor ref"]
    rows = [
        [
            r.rung_key,
            r.title,
            f"{r.hours.normalize():f}",
            money(r.estimate, r.currency),
            r.status,
            r.vendor_ref or "-",
        ]
        for r in detail.rungs
    ]
    if several:
        columns.insert(0, "eng.")
        rows = [[str(r.engagement), *row] for r, row in zip(detail.rungs, rows, strict=True)]
    return _table("Pilot ladder", columns, rows, prose={"title": 16})


def _directives(detail: TrialDetail) -> Table:
    """The client's directives, overrides first in mind: whose area, why, and the answer."""
    given = detail.directives
    overrides = sum(d.classification == "override" for d in given)
    return _table(
        f"Directives: {overrides} of {len(given)} override the vendor's areas",
        ["when", "by", "area", "kind", "directive, why, and the vendor's answer"],
        [
            [
                f"{d.issued_at:%Y-%m-%d %H:%M}",
                d.issued_by,
                d.area,
                d.classification,
                f"{d.text}\nbecause: {d.justification or '-'}\nvendor "
                + (d.vendor_ref or "(not forwarded)")
                + (
                    ": no answer yet"
                    if d.outcome is None
                    else f": {d.outcome.replace('_', ' ')}, {d.answer}"
                ),
            ]
            for d in given
        ],
        prose={"area": 10, "directive, why, and the vendor's answer": 20},
    )


def _table(
    title: str, columns: list[str], rows: list[list[str]], prose: dict[str, int] | None = None
) -> Table:
    """A table whose ids, numbers and times are never cut or wrapped: only the `prose`
    columns wrap, between words, at no less than their minimum width, sharing what is left."""
    table = Table(
        title=title, title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False
    )
    for column in columns:
        if prose and column in prose:
            table.add_column(column, ratio=1, min_width=prose[column], overflow="fold")
        else:
            table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*row)
    return table


def _latest(detail: TrialDetail, expectation_id: int | None, unit: str) -> str:
    """The expectation's latest value from its own source, and where it came from."""
    found = detail.latest.get(expectation_id or 0)
    if found is None:
        return "not measured yet"
    text = f"{shown_value(found.value, unit)}\n{found.evidence.label}"
    tickets = found.evidence.tickets
    if tickets:  # the tickets a person looks up, the first few by id
        shown = " ".join(f"#{t.id}" for t in tickets[:TICKETS_SHOWN])
        text += f": {shown}" + (
            f" and {len(tickets) - TICKETS_SHOWN} more" if len(tickets) > TICKETS_SHOWN else ""
        )
    return text
