"""How a bake-off file's report looks in a terminal (rich) and in JSON."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.text import Text

from cli.plan_views import report_json, totals_table
from models.findings import Severity
from planfile.bakeoff import BakeoffReport


def print_bakeoff(out: Console, report: BakeoffReport) -> None:
    """A bake-off's verdict, its findings, and each vendor's pilot budget."""
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    warnings = len(report.findings) - len(errors)
    if report.ok:
        vendors = ", ".join(report.vendors)
        out.print(
            Text.assemble(
                ("valid", "green"),
                f"  {report.file}: bake-off {report.bakeoff} of {len(report.vendors)} "
                f"vendors ({vendors}), {warnings} warning(s)",
            )
        )
    else:
        out.print(
            Text.assemble(
                ("invalid", "red"),
                f"  {report.file}: {len(errors)} error(s), {warnings} warning(s)",
            )
        )
    for finding in report.findings:
        colour = "red" if finding.severity is Severity.ERROR else "yellow"
        out.print(Text(f"  {finding}", style=colour))
    for vendor, plan_report in report.vendors.items():
        if plan_report.totals is not None and plan_report.plan is not None:
            title = f"Pilot budget of {vendor} (trial {plan_report.plan.trial})"
            out.print(totals_table(title, plan_report.totals, plan_report.plan.currency))


def bakeoff_json(report: BakeoffReport) -> dict[str, Any]:
    """A bake-off report for scripts: verdict, findings, and each vendor's plan report."""
    return {
        "file": report.file,
        "valid": report.ok,
        "bakeoff": report.bakeoff,
        "errors": [
            f.model_dump(mode="json") for f in report.findings if f.severity is Severity.ERROR
        ],
        "warnings": [
            f.model_dump(mode="json") for f in report.findings if f.severity is Severity.WARNING
        ],
        "vendors": {vendor: report_json(r) for vendor, r in report.vendors.items()},
    }
