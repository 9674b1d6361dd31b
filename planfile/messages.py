"""Turn pydantic's validation errors into findings a vendor manager can act on."""

from __future__ import annotations

import difflib
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from models.findings import Finding, Path, error
from models.plan import Plan
from models.plan_fields import PATTERN_HELP

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
    ctx = detail.get("ctx") or {}
    if "fix" in ctx:  # a rule of ours that says its own fix (models.plan)
        return error(path, detail["msg"], str(ctx["fix"]))
    message = detail["msg"].removeprefix("Value error, ")
    if kind != "value_error":
        message = f"{message} (got {_shown(detail['input'])})"
    message = _DECIMAL_IN_TEXT.sub(r"\1", message)  # 1E+308, not Decimal('1E+308')
    if kind.startswith(("date_", "datetime_")):
        return error(path, message, "write a date that exists, as YYYY-MM-DD: 2026-06-30")
    return error(path, message, _number_fix(path, detail))


def _number_fix(path: Path, detail: ErrorDetails) -> str:
    """How to write the number this field wants, with the user's own value converted.

    Shares (contingency, the gates' scores) are fractions of 1; amounts are plain numbers
    without separators or currency signs.
    """
    kind, value = detail["type"], detail["input"]
    share = _is_share(path)
    if kind == "decimal_parsing" and isinstance(value, str):
        return _plain_number(value, share)
    ctx = detail.get("ctx") or {}
    bound = _decimal(_DECIMAL_REPR.sub(r"\1", str(ctx.get("le", ctx.get("lt", "")))))
    number = _decimal(str(value))
    if kind in {"less_than_equal", "less_than"} and share and number and 1 < number <= 100:
        return f"a share is a fraction of 1: write {number / 100} for {number}%"
    if kind == "less_than_equal" and bound is not None:
        return f"the most this field holds is {bound:,}"
    if kind in {"finite_number", "decimal_type"}:
        return "write a plain number, e.g. 12600 or 0.15"
    if kind == "decimal_max_places" and number is not None:
        places = int(ctx.get("decimal_places", 0))
        return (
            f"the store keeps this field to {places} decimal places: "
            f"write {number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)}"
        )
    return ""


_DECIMAL_REPR = re.compile(r"^Decimal\('(.*)'\)$")  # how pydantic gives a Decimal bound
_DECIMAL_IN_TEXT = re.compile(r"Decimal\('([^']*)'\)")
_CURRENCY = re.compile(r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|[$€£¥₹¤]")


def _plain_number(text: str, share: bool) -> str:
    """The fix for a number written as text: the plain number it stands for."""
    written = text.strip()
    if written.endswith("%"):
        number = _decimal(written[:-1].strip())
        if number is not None:
            return f"write {number / 100} for {written}" if share else f"write {number} without %"
    bare = _CURRENCY.sub("", written).replace(" ", "").replace("_", "")
    if "," in bare and "." in bare and bare.rindex(",") > bare.rindex("."):
        bare = bare.replace(".", "").replace(",", ".")  # 12.600,50: a comma for decimals
    else:
        bare = bare.replace(",", "")
    number = _decimal(bare)
    if number is None:
        return "write a plain number, e.g. 12600 or 0.15"
    if share:
        return f"write {number} as a plain fraction of 1, e.g. 0.15 for 15%"
    return f"write {number} without separators or currency signs"


def _decimal(text: str) -> Decimal | None:
    try:
        number = Decimal(text)
    except ArithmeticError:
        return None
    return number if number.is_finite() else None


def _is_share(path: Path) -> bool:
    """Whether the field at `path` is a fraction of 1 (its upper bound is 1)."""
    field = _field_at(path)
    bounds = (
        [getattr(m, "le", None) or getattr(m, "lt", None) for m in field.metadata] if field else []
    )
    return any(bound == 1 for bound in bounds)


def _field_at(path: Path) -> FieldInfo | None:
    """The schema's field at `path`, list positions skipped."""
    model: type[BaseModel] | None = Plan
    field: FieldInfo | None = None
    for part in path:
        if isinstance(part, int):
            continue
        if model is None:
            return None
        field = model.model_fields.get(str(part))
        if field is None:
            return None
        model = _model_in(field.annotation)
    return field


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
