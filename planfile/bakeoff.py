"""Load a bake-off file: check its shape, expand it into one plan per vendor, check each.

A finding about a vendor's plan is located in the bake-off file (its shared section, or the
vendor's own entry), and said once: a finding every vendor's plan shares is about the shared
terms; one only some vendors have names them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel
from ruamel.yaml.comments import CommentedMap

from models.bakeoff_plan import bakeoff_findings, bakeoff_path, is_bakeoff, vendor_plans
from models.checks import PlanPolicy
from models.errors import PlanError
from models.findings import Finding, Severity
from models.plan import Plan
from planfile.loader import (
    LocatedFinding,
    PlanReport,
    check_document,
    check_values,
    failed,
    locate,
    plan_report,
    read_document,
)
from planfile.source import UnreadablePlan


class BakeoffReport(BaseModel):
    """Everything `validate` knows about one bake-off file: its findings, and each vendor's
    plan (by vendor id, in the file's order) once the shape allows expanding it."""

    file: str
    bakeoff: str | None = None
    findings: list[LocatedFinding] = []
    vendors: dict[str, PlanReport] = {}

    @property
    def ok(self) -> bool:
        """True when nothing refuses the bake-off; warnings may remain."""
        return (
            bool(self.vendors)
            and all(f.severity is not Severity.ERROR for f in self.findings)
            and all(r.plan is not None for r in self.vendors.values())
        )

    def plans(self) -> dict[str, Plan]:
        """Each vendor's checked plan, by vendor id; a PlanError listing every error if any."""
        if not self.ok:
            errors = [str(f) for f in self.findings if f.severity is Severity.ERROR]
            raise PlanError("The bake-off is not valid:\n" + "\n".join(errors))
        return {vendor: r.plan for vendor, r in self.vendors.items() if r.plan is not None}


def load_any(file: Path, policy: PlanPolicy) -> PlanReport | BakeoffReport:
    """A plan file's report: a bake-off's if it names `vendors:`, else an ordinary plan's."""
    try:
        data, plain = read_document(file)
    except UnreadablePlan as exc:
        return failed(str(file), exc.line, exc.message, exc.fix)
    if is_bakeoff(plain):
        return check_bakeoff(str(file), data, plain, policy)
    return check_document(str(file), data, plain, policy)


def load_bakeoff(file: Path, policy: PlanPolicy) -> BakeoffReport:
    """A bake-off file's report; an ordinary plan, or an unreadable file, is refused in it."""
    report = load_any(file, policy)
    if isinstance(report, BakeoffReport):
        return report
    if report.ok:
        refusal = "this is a plan for one vendor; a bake-off names its vendors under vendors:"
        fix = "run it with `trials run`, or list two or more vendors under vendors:"
        report = failed(str(file), 1, refusal, fix)
    return BakeoffReport(file=str(file), findings=report.findings)


def check_bakeoff(name: str, data: CommentedMap, plain: Any, policy: PlanPolicy) -> BakeoffReport:
    """Check a bake-off's shape, then each vendor's expanded plan, findings located."""
    given = plain.get("bakeoff")  # its shape is refused, located, by bakeoff_findings
    report = BakeoffReport(file=name, bakeoff=given if isinstance(given, str) else None)
    shape = bakeoff_findings(plain)
    if shape:
        report.findings = locate(name, data, shape)
        return report
    per_vendor: dict[str, list[Finding]] = {}
    for vendor, values in vendor_plans(plain).items():
        plan, per_vendor[vendor] = check_values(values, policy)
        report.vendors[vendor] = plan_report(name, plan, [])
    report.findings = locate(name, data, _once(plain, per_vendor))
    return report


def _once(plain: dict[str, Any], per_vendor: dict[str, list[Finding]]) -> list[Finding]:
    """Each vendor's findings at their place in the bake-off file, a shared one said once."""
    seen: dict[tuple[object, ...], list[str]] = {}
    placed: dict[tuple[object, ...], Finding] = {}
    for vendor, findings in per_vendor.items():
        for finding in findings:
            at = bakeoff_path(plain, vendor, finding.path)
            key = (at, finding.severity, finding.message, finding.fix)
            seen.setdefault(key, []).append(vendor)
            placed.setdefault(key, finding.model_copy(update={"path": at}))
    out: list[Finding] = []
    for place, finding in placed.items():
        vendors = seen[place]
        if len(vendors) < len(per_vendor) and finding.path[:1] != ("vendors",):
            message = f"for vendor {', '.join(vendors)}: {finding.message}"
            finding = finding.model_copy(update={"message": message})
        out.append(finding)
    return out
