"""A deliverables expectation's value, computed from the archived files its rule matches.

The value is computed only when every matched file is there, matches the checksum it was
archived with and can be read; otherwise there is no value, and each problem says what
is wrong with which file and how to fix it. A rule that matches nothing has no value
either: an expectation is never scored on a zero nobody delivered.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

from models.evidence import FileEvidence
from models.measure import WORDS_PER_PAGE, Measure, MeasureKind, matches


class Problem(BaseModel):
    """Why an expectation has no value at a rung: what, about which file, and the fix."""

    message: str
    fix: str
    file: str | None = None

    def __str__(self) -> str:
        return f"{self.message}. Fix: {self.fix}"


class DeliveredFile(BaseModel):
    """A delivered file as the archive recorded it."""

    name: str  # as the vendor named it
    sha256: str
    size: int
    path: str  # relative to the data directory
    rung: str


class ReadFile(BaseModel):
    """An archived file as read back from disk for a rule: its pages, or what went wrong."""

    file: DeliveredFile
    pages: int | None = None  # for a pages rule
    problem: Problem | None = None


class Outcome(BaseModel):
    """One expectation's computation at a rung: a value with its files, or the problems."""

    expectation: str
    rule: str  # "pages of runbooks/*.md"
    value: Decimal | None
    files: list[FileEvidence] = []
    note: str = ""
    problems: list[Problem] = []


def matched(rule: Measure, files: list[DeliveredFile]) -> list[DeliveredFile]:
    """The archived files the rule is computed over, in the order they were archived."""
    return [f for f in files if matches(rule.pattern, f.name)]


def no_match(expectation: str, rule: Measure, files: list[DeliveredFile]) -> Outcome:
    """The outcome of a rule that matches none of the archived files."""
    names = ", ".join(f.name for f in files[:10]) + (", ..." if len(files) > 10 else "")
    archived = f"archived so far: {names}" if files else "nothing is archived yet"
    problem = Problem(
        message=f"no delivered file matches {rule.pattern!r} ({archived})",
        fix="correct the pattern in the plan's measure to the names the vendor uses, or ask "
        "the vendor to deliver the files the expectation is about",
    )
    return Outcome(expectation=expectation, rule=str(rule), value=None, problems=[problem])


def outcome(expectation: str, rule: Measure, read: list[ReadFile]) -> Outcome:
    """The value of the rule over the files read, or every problem that prevents it."""
    if not read:
        return no_match(expectation, rule, [])
    problems = [r.problem for r in read if r.problem is not None]
    if problems:
        return Outcome(expectation=expectation, rule=str(rule), value=None, problems=problems)
    evidence = [
        FileEvidence(name=r.file.name, sha256=r.file.sha256, size=r.file.size) for r in read
    ]
    rungs = sorted({r.file.rung for r in read})
    if rule.kind is MeasureKind.COUNT:
        value, how = len(read), "files"
    elif rule.kind is MeasureKind.BYTES:
        value, how = sum(r.file.size for r in read), "bytes"
    else:
        value = sum(r.pages or 0 for r in read)
        how = "pages (" + " + ".join(str(r.pages or 0) for r in read) + "; a PDF's own pages, "
        how += f"Markdown and HTML at {WORDS_PER_PAGE} words a page, rounded up per document)"
    note = (
        f"{value} {how}: {rule} over {len(read)} archived file{'s' if len(read) != 1 else ''} "
        f"delivered at {', '.join(rungs)}, each checked against its sha256"
    )
    return Outcome(
        expectation=expectation, rule=str(rule), value=Decimal(value), files=evidence, note=note
    )
