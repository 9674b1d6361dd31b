"""Load a plan file: parse with line numbers, validate, check the pitfalls, locate findings."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import ConstructorError, DuplicateKeyError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.nodes import Node
from ruamel.yaml.reader import ReaderError

from models.budget import LadderTotals, ladder_totals
from models.checks import PlanPolicy, check_plan
from models.errors import PlanError
from models.findings import Finding, Severity
from models.findings import Path as FieldPath
from models.plan import Plan
from planfile.messages import schema_findings
from planfile.source import UnreadablePlan, check_nesting, read_plan_text

MAX_VALUES = 20_000  # the examples hold about 300; a long ladder a few thousand
MAX_DEPTH = 40  # the deepest value of a plan is about 6 levels down


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
    """Read, parse and check a plan file; problems become findings, never exceptions.

    Reading is bounded before it starts (planfile.source.MAX_PLAN_BYTES, and MAX_VALUES
    values and MAX_DEPTH levels once aliases are expanded), so a hostile file is refused
    in well under a second.
    """
    name = str(file)
    try:
        data, plain = read_document(file)
    except UnreadablePlan as exc:
        return failed(name, exc.line, exc.message, exc.fix)
    return check_document(name, data, plain, policy)


def read_document(file: Path) -> tuple[CommentedMap, Any]:
    """The plan file's YAML mapping (with line numbers) and its plain values.

    Raises UnreadablePlan with the line and the fix for a file that is not a plan's YAML.
    """
    try:
        text = read_plan_text(file)
        check_nesting(text)
        data = _parse(text)
    except MarkedYAMLError as exc:
        raise UnreadablePlan(*_yaml_problem(exc)) from None
    if not isinstance(data, CommentedMap):
        raise UnreadablePlan(
            1,
            "a plan is a YAML mapping of sections (trial, vendor, ...)",
            "start from `trials init`",
        )
    try:
        return data, _plain(data, _Budget(), ())
    except _TooLarge as exc:
        raise UnreadablePlan(_line_of(data, exc.path), exc.message, exc.fix) from None


def check_document(name: str, data: CommentedMap, plain: Any, policy: PlanPolicy) -> PlanReport:
    """Check one trial plan's values against the schema and the rules, findings located."""
    plan, findings = check_values(plain, policy)
    return plan_report(name, plan, locate(name, data, findings))


def check_values(plain: Any, policy: PlanPolicy) -> tuple[Plan | None, list[Finding]]:
    """A plan's values checked: the plan (None if the schema refuses it) and its findings."""
    try:
        plan = Plan.model_validate(plain)
    except ValidationError as exc:
        return None, schema_findings(exc)
    return plan, check_plan(plan, policy)


def plan_report(name: str, plan: Plan | None, findings: list[LocatedFinding]) -> PlanReport:
    """The report on a checked plan (None: the schema refused it), with its ladders' totals."""
    report = PlanReport(file=name, parsed=True, plan=plan, findings=findings)
    if plan is None:
        return report
    report.totals = ladder_totals(plan.pilot, plan.rate_card, plan.budget, plan.currency)
    if plan.expansion is not None:
        x = plan.expansion
        report.expansion_totals = ladder_totals(x.pilot, plan.rate_card, x.budget, plan.currency)
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


def failed(file: str, line: int | None, message: str, fix: str) -> PlanReport:
    finding = LocatedFinding(
        file=file, line=line, field="(file)", severity=Severity.ERROR, message=message, fix=fix
    )
    return PlanReport(file=file, findings=[finding])


def locate(file: str, data: Any, findings: list[Finding]) -> list[LocatedFinding]:
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
            line, node = _key_line(node, part) or line, node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and part < len(node):
            line, node = node.lc.item(part)[0] + 1, node[part]
        else:
            break
    return line


def _key_line(node: CommentedMap, key: Any) -> int | None:
    """The line where the key is written: in this mapping, or in one it merges (`<<:`)."""
    if key in node.lc.data:
        return int(node.lc.key(key)[0]) + 1
    for source in getattr(node, "merge", None) or ():
        merged = source[1] if isinstance(source, tuple) else source
        if isinstance(merged, CommentedMap) and key in merged:
            return _key_line(merged, key)
    return None


class _TooLarge(Exception):
    """The plan expands past a reading bound, at `path`."""

    def __init__(self, path: FieldPath, message: str, fix: str) -> None:
        super().__init__(message)
        self.path, self.message, self.fix = path, message, fix


class _Budget:
    """How many more values the plan may expand to."""

    def __init__(self) -> None:
        self.left = MAX_VALUES


def _plain(node: Any, budget: _Budget, path: FieldPath) -> Any:
    """Plain Python values for pydantic; floats become Decimals through their text.

    Raises _TooLarge past MAX_VALUES values (an alias repeats what it names, so a few
    lines of aliases of aliases can stand for billions) or MAX_DEPTH levels.
    """
    budget.left -= 1
    if budget.left < 0:
        raise _TooLarge(
            path,
            f"the plan expands to more than {MAX_VALUES:,} values (aliases repeat what they "
            "name, and aliases of aliases multiply)",
            "write the values out, or use an anchor only for a few repeated settings",
        )
    if len(path) > MAX_DEPTH:
        raise _TooLarge(
            path, f"values are nested more than {MAX_DEPTH} levels deep", "flatten this value"
        )
    if isinstance(node, dict):
        return {key: _plain(value, budget, (*path, key)) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(value, budget, (*path, n)) for n, value in enumerate(node)]
    if isinstance(node, float):
        return Decimal(str(float(node)))
    return node


class _Constructor(RoundTripConstructor):
    """ruamel.yaml's round-trip constructor, locating every value it cannot build.

    Dates stay text, so the plan's schema reads them and refuses an impossible one
    (2026-06-31) at its field, with the form it accepts.
    """

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError, ArithmeticError) as exc:
            raise ConstructorError(
                problem=f"cannot read this value ({exc})", problem_mark=node.start_mark
            ) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_str)


def _code_point(character: int | str) -> str:
    """U+XXXX for a character, or its code point, as ruamel.yaml gives either."""
    return f"U+{character if isinstance(character, int) else ord(character):04X}"


def _parse(text: str) -> Any:
    """The YAML document, with line numbers; refuses nesting deeper than Python can follow."""
    yaml = YAML(typ="rt")
    yaml.Constructor = _Constructor
    try:
        return yaml.load(text)
    except RecursionError:
        raise UnreadablePlan(
            None,
            "the YAML is nested too deeply to read (hundreds of levels)",
            "a plan is a few levels deep: check that this is the plan file",
        ) from None
    except ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise UnreadablePlan(
            line,
            f"the character {_code_point(exc.character)} cannot be in YAML ({exc.reason})",
            "delete it, or write it inside a quoted string as an escape (\\uXXXX)",
        ) from None
