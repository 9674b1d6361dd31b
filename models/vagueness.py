"""The vagueness check: words that cannot be measured, and a measurable form for each."""

from __future__ import annotations

import re

# Each unmeasurable phrase maps to a measurable way of saying what was meant.
SUGGESTIONS: dict[str, str] = {
    "asap": "a date or a duration: holds_by: 2026-12-15, or a rung's due_in_days",
    "as soon as possible": "a date or a duration: holds_by: 2026-12-15, or a rung's due_in_days",
    "as needed": "a count per period, e.g. metric: tickets_resolved_per_week, '>=', 50",
    "as required": "a count per period, e.g. metric: tickets_resolved_per_week, '>=', 50",
    "best effort": "a service level, e.g. metric: sla_met_percent, '>=', 95, unit: percent",
    "best-effort": "a service level, e.g. metric: sla_met_percent, '>=', 95, unit: percent",
    "high quality": "a defect rate, e.g. metric: reopened_tickets_percent, '<=', 5, unit: percent",
    "high-quality": "a defect rate, e.g. metric: reopened_tickets_percent, '<=', 5, unit: percent",
    "fast": "a percentile time, e.g. metric: p90_first_response_minutes, '<=', 30, unit: minutes",
    "quick": "a percentile time, e.g. metric: p90_first_response_minutes, '<=', 30, unit: minutes",
    "quickly": "a percentile time, e.g. metric: p90_resolution_hours, '<=', 8, unit: hours",
    "promptly": "a percentile time, e.g. metric: p90_resolution_hours, '<=', 8, unit: hours",
    "timely": "a percentile time, e.g. metric: p90_resolution_hours, '<=', 8, unit: hours",
    "good": "a score on a scale, e.g. metric: csat_score, '>=', 4.2, unit: points of 5",
    "great": "a score on a scale, e.g. metric: csat_score, '>=', 4.5, unit: points of 5",
    "excellent": "a score on a scale, e.g. metric: csat_score, '>=', 4.5, unit: points of 5",
    "satisfactory": "a score on a scale, e.g. metric: csat_score, '>=', 4.0, unit: points of 5",
    "reasonable": "the number you have in mind, with its unit",
    "reasonably": "the number you have in mind, with its unit",
    "adequate": "the number you have in mind, with its unit",
    "appropriate": "the number you have in mind, with its unit",
    "sufficient": "the number you have in mind, with its unit",
    "efficient": "a cost or time per unit of work, e.g. metric: hours_per_ticket, '<=', 0.5",
    "robust": "an availability or failure rate, e.g. metric: availability_percent, '>=', 99.5",
    "reliable": "an availability or failure rate, e.g. metric: availability_percent, '>=', 99.5",
    "seamless": "a count of incidents, e.g. metric: migration_incidents, '<=', 0",
    "smooth": "a count of incidents, e.g. metric: migration_incidents, '<=', 0",
    "user-friendly": "a survey score, e.g. metric: csat_score, '>=', 4.2, unit: points of 5",
    "properly": "a number with its unit that says what 'proper' means",
}

_PATTERN = re.compile(
    r"(?<![a-z0-9])("
    + "|".join(re.escape(term) for term in sorted(SUGGESTIONS, key=len, reverse=True))
    + r")(?![a-z0-9])"
)


def vague_terms(text: str) -> list[str]:
    """The unmeasurable phrases in `text`, in order; snake_case counts as words."""
    words = text.lower().replace("_", " ")
    return list(dict.fromkeys(match.group(1) for match in _PATTERN.finditer(words)))


def vagueness_message(text: str) -> str | None:
    """A refusal that names the vague words and suggests a measurable form, or None."""
    terms = vague_terms(text)
    if not terms:
        return None
    quoted = ", ".join(f"'{term}'" for term in terms)
    return (
        f"{quoted} cannot be measured, so nobody can say whether the vendor delivered. "
        f"Say it as a number instead: {SUGGESTIONS[terms[0]]}"
    )
