"""Load a plan file: parse with line numbers, validate, check the pitfalls, locate findings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import DuplicateKeyError
from ruamel.yaml.error import MarkedYAMLError

from models.budget import LadderTotals, ladder_totals
from models.checks import PlanPolicy, check_plan
from models.errors import PlanError
from models.findings import Finding, Severity
from models.findings import Path as FieldPath
from models.plan import Plan
from planfile.messages import schema_findings


class LocatedFinding(BaseModel):
    """A finding with the file and line it is about."""

    file: str
    line: int | None
    field: str
    severity: Severity
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        fix = f" Fix: {_sentence(self.fix)}" if self.fix else ""
        return f"{where}: {self.severity}: {self.field}: {_sentence(self.message)}{fix}"


class PlanReport(BaseModel):
    """Everything `validate` knows about one plan file."""

    file: str
    plan: Plan | None = None
    findings: list[LocatedFinding] = []
    totals: LadderTotals | None = None
    expansion_totals: LadderTotals | None = None
    parsed: bool = False  # the YAML was read; schema errors may still stop the rule checks

    @property
    def ok(self) -> bool:
        """True when nothing refuses the plan; warnings may remain."""
        return all(f.severity is not Severity.ERROR for f in self.findings)


def load_plan(file: Path, policy: PlanPolicy) -> PlanReport:
    """Read, parse and check a plan file; problems become findings, never exceptions."""
    name = str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _failed(
            name,
            None,
            f"cannot read the plan file: {reason}",
            "check the path; `trials init` writes an example plan",
        )
    try:
        data = YAML(typ="rt").load(text)
    except MarkedYAMLError as exc:
        return _failed(name, *_yaml_problem(exc))
    if not isinstance(data, CommentedMap):
        return _failed(
            name,
            1,
            "a plan is a YAML mapping of sections (trial, vendor, ...)",
            "start from `trials init`",
        )
    try:
        plan = Plan.model_validate(_plain(data))
    except ValidationError as exc:
        findings = _locate(name, data, schema_findings(exc))
        return PlanReport(file=name, findings=findings, parsed=True)
    report = PlanReport(
        file=name,
        parsed=True,
        plan=plan,
        findings=_locate(name, data, check_plan(plan, policy)),
        totals=ladder_totals(plan.pilot, plan.rate_card, plan.budget),
    )
    if plan.expansion is not None:
        x = plan.expansion
        report.expansion_totals = ladder_totals(x.pilot, plan.rate_card, x.budget)
    return report


def require_valid(report: PlanReport) -> Plan:
    """The plan, or a PlanError listing every error in the report."""
    if report.plan is None or not report.ok:
        errors = [str(f) for f in report.findings if f.severity is Severity.ERROR]
        raise PlanError("The plan is not valid:\n" + "\n".join(errors))
    return report.plan


def _sentence(text: str) -> str:
    """`text` ending in one full stop (or its own ? or !)."""
    return text if text.endswith((".", "?", "!")) else f"{text}."


def _yaml_problem(exc: MarkedYAMLError) -> tuple[int | None, str, str]:
    """Where a YAML error is, what it is, and how to fix it."""
    problem = exc.problem_mark.line + 1 if exc.problem_mark else None
    if isinstance(exc, DuplicateKeyError):
        return (
            problem,
            f"this is not valid YAML: {exc.problem}",
            "a key may appear once per mapping; keep one",
        )
    start = exc.context_mark.line + 1 if exc.context_mark else None
    if start is not None and start != problem:
        # The parser notices a mistake where it gives up; the construct began earlier.
        what = f"{exc.context} that starts here is broken: {exc.problem} at line {problem}"
        return (
            start,
            f"this is not valid YAML: {what}",
            "close or fix that construct (brackets, quotes, indentation)",
        )
    return (
        problem,
        f"this is not valid YAML: {exc.problem or exc.context}",
        "fix the YAML syntax at this line (indentation, quotes, colons)",
    )


def _failed(file: str, line: int | None, message: str, fix: str) -> PlanReport:
    finding = LocatedFinding(
        file=file, line=line, field="(file)", severity=Severity.ERROR, message=message, fix=fix
    )
    return PlanReport(file=file, findings=[finding])


def _locate(file: str, data: Any, findings: list[Finding]) -> list[LocatedFinding]:
    return [
        LocatedFinding(
            file=file,
            line=_line_of(data, f.path),
            field=f.field,
            severity=f.severity,
            message=f.message,
            fix=f.fix,
        )
        for f in findings
    ]


def _line_of(data: Any, path: FieldPath) -> int:
    """The line of the deepest part of `path` present in the YAML (1-based)."""
    line, node = 1, data
    for part in path:
        if isinstance(node, CommentedMap) and part in node:
            line, node = node.lc.key(part)[0] + 1, node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, node = node.lc.item(part)[0] + 1, node[part]
        else:
            break
    return line


def _plain(node: Any) -> Any:
    """Plain Python values for pydantic; floats become Decimals through their text."""
    if isinstance(node, dict):
        return {key: _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value) for value in node]
    if isinstance(node, float):
        return Decimal(str(float(node)))
    return node
