"""The plan's deliverables rules checked against their expectations: a value computed from
delivered files needs a rule, only such a value has one, and its unit fits what it counts."""

from __future__ import annotations

from models.findings import Finding, Path, error
from models.measure import MeasureKind, unit_problem
from models.plan import Expectation, Source


def measure_findings(expectations: list[Expectation], at: Path) -> list[Finding]:
    """An error for each expectation whose `measure` and `source` do not go together."""
    findings = []
    for i, exp in enumerate(expectations):
        here = (*at, "expectations", i)
        if exp.source is Source.DELIVERABLES and exp.measure is None:
            findings.append(
                error(
                    (*here, "source"),
                    f"expectation '{exp.id}' is computed from deliverables but says not how",
                    f"add the rule beside source, e.g. measure: {_example(exp.unit)}",
                )
            )
        elif exp.source is not Source.DELIVERABLES and exp.measure is not None:
            findings.append(
                error(
                    (*here, "measure"),
                    f"expectation '{exp.id}' has a measure, but its value comes from "
                    f"{exp.source}, not from the delivered files",
                    "remove measure, or set source: deliverables",
                )
            )
        elif exp.measure is not None and (problem := unit_problem(exp.measure.kind, exp.unit)):
            findings.append(
                error((*here, "unit"), f"expectation '{exp.id}': {problem[0]}", problem[1])
            )
    return findings


def _example(unit: str) -> str:
    """A rule whose kind fits the unit the expectation already has."""
    for kind, example in (
        (MeasureKind.PAGES, '{pages: "*.pdf"}'),
        (MeasureKind.BYTES, '{bytes: "*.zip"}'),
    ):
        if unit_problem(kind, unit) is None:
            return example
    return '{count: "runbooks/*.md"} (files matching a pattern)'
