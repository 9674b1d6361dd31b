"""Turn pydantic's validation errors into findings a vendor manager can act on."""

from __future__ import annotations

import difflib
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from models.findings import Finding, Path, error
from models.plan import PATTERN_HELP, Plan

# What to write when a whole section is missing.
SECTION_EXAMPLES: dict[str, str] = {
    "exit_plan": "add exit_plan: {notice_days: 14, steps: [knowledge_transfer, data_return, "
    "access_revocation, final_invoice]}; every trial needs a prepared exit",
    "budget": "add budget: {estimate: 12000, contingency: 0.15, cap: 15000}",
    "expectations": "add measurable expectations, e.g. {id: first-response, metric: "
    "p90_first_response_minutes, comparator: '<=', target: 30, unit: minutes, "
    "source: vendor_metrics, holds_from: rung-2}",
    "pilot": "add a ladder of pilot rungs, smallest first, e.g. {id: rung-1, title: ..., "
    "hours: {engineer: 8}, due_in_days: 5}",
    "authority": "add authority: {client_decides: [acceptance criteria, budget], "
    "vendor_decides: [tooling, staffing]}",
    "gates": "add gates: {expand_at_score: 0.8, exit_below_score: 0.6}",
    "rate_card": "add rate_card: {engineer: 95, lead: 140} (hourly rates)",
    "target": "add a numeric target, e.g. target: 30, with its unit in unit",
    "unit": "add the target's unit, e.g. unit: minutes",
    "source": "say where the value comes from: vendor_metrics, deliverables or client_review",
}


def schema_findings(exc: ValidationError) -> list[Finding]:
    """One finding per schema error, each pointing at its field."""
    return [_finding(detail) for detail in exc.errors(include_url=False)]


def _finding(detail: ErrorDetails) -> Finding:
    path: Path = tuple(p for p in detail["loc"] if p != "[key]")
    key = path[-1] if path else ""
    kind = detail["type"]
    if kind == "missing":
        return error(path, f"'{key}' is missing", SECTION_EXAMPLES.get(str(key), ""))
    if kind == "extra_forbidden":
        allowed = _allowed_keys(path[:-1])
        close = difflib.get_close_matches(str(key), allowed, n=1)
        fix = f"did you mean '{close[0]}'?" if close else f"allowed here: {', '.join(allowed)}"
        return error(path, f"unknown key '{key}'", fix)
    if kind == "string_pattern_mismatch":
        wanted = PATTERN_HELP.get(str((detail.get("ctx") or {}).get("pattern")), "")
        return error(
            path,
            f"{_shown(detail['input'])} is not a valid name here",
            f"use {wanted}" if wanted else "",
        )
    message = detail["msg"].removeprefix("Value error, ")
    if kind != "value_error":
        message = f"{message} (got {_shown(detail['input'])})"
    if kind.startswith(("date_", "datetime_")):
        return error(path, message, "write a date that exists, as YYYY-MM-DD: 2026-06-30")
    return error(path, message)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_keys(path: Path) -> list[str]:
    """The keys the schema accepts in the mapping at `path`."""
    model: type[BaseModel] | None = Plan
    for part in path:
        if model is None:
            return []
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _model_in(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found:
            return found
    return None
