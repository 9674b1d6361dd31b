"""How plan reports look in a terminal (rich) and in JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from models.budget import LadderTotals
from models.findings import Severity
from models.money import money
from planfile.loader import PlanReport


def print_report(out: Console, report: PlanReport) -> None:
    """A plan's verdict, its findings, and its budget totals."""
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    warnings = [f for f in report.findings if f.severity is Severity.WARNING]
    if report.ok and report.plan is not None:
        plan = report.plan
        out.print(
            Text.assemble(
                ("valid", "green"),
                f"  {report.file}: trial {plan.trial} "
                f"with {plan.vendor.name}, {len(warnings)} warning(s)",
            )
        )
    else:
        out.print(
            Text.assemble(
                ("invalid", "red"),
                f"  {report.file}: {len(errors)} error(s), {len(warnings)} warning(s)",
            )
        )
    for finding in report.findings:
        colour = "red" if finding.severity is Severity.ERROR else "yellow"
        out.print(Text(f"  {finding}", style=colour))
    if report.plan is None and errors and report.parsed:
        out.print(
            "  The pitfall checks (budget, ladder, exit, authority) run once these are fixed."
        )
    if report.totals is not None and report.plan is not None:
        out.print(totals_table("Pilot budget", report.totals, report.plan.currency))
    if report.expansion_totals is not None and report.plan is not None:
        out.print(totals_table("Expansion budget", report.expansion_totals, report.plan.currency))


def totals_table(title: str, totals: LadderTotals, currency: str) -> Table:
    """Each rung's hours, days and cost, then the ladder against its budget."""
    table = Table(title=f"{title} ({currency})", title_justify="left")
    table.add_column("rung")
    table.add_column("hours", justify="right")
    table.add_column("due in", justify="right")
    table.add_column("cost", justify="right")
    for rung in totals.rungs:
        table.add_row(rung.id, f"{rung.hours}", f"{rung.due_in_days} d", money(rung.cost, currency))
    table.add_section()
    table.add_row("ladder", f"{totals.hours}", "", money(totals.cost, currency))
    table.add_row("contingency", "", "", money(totals.contingency, currency))
    table.add_row("required", "", "", money(totals.required, currency))
    table.add_row("estimate", "", "", money(totals.estimate, currency))
    table.add_row("cap", "", "", money(totals.cap, currency))
    table.add_row("headroom to cap", "", "", money(totals.headroom, currency))
    return table


def report_json(report: PlanReport) -> dict[str, Any]:
    """A plan report for scripts: verdict, findings and totals."""

    def totals(t: LadderTotals | None) -> dict[str, Any] | None:
        return None if t is None else t.model_dump(mode="json") | {"headroom": str(t.headroom)}

    return {
        "file": report.file,
        "valid": report.ok,
        "trial": report.plan.trial if report.plan else None,
        "currency": report.plan.currency if report.plan else None,
        "errors": [
            f.model_dump(mode="json") for f in report.findings if f.severity is Severity.ERROR
        ],
        "warnings": [
            f.model_dump(mode="json") for f in report.findings if f.severity is Severity.WARNING
        ],
        "totals": totals(report.totals),
        "expansion_totals": totals(report.expansion_totals),
    }
