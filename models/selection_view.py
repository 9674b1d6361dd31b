"""The selection gate side by side, as rows: per expectation per vendor (with provenance), and
per vendor the money, the schedule and the override index. Pure; the artifact, the form's
briefing and the HTML report all read these rows."""

from __future__ import annotations

from decimal import Decimal

from models.display import shown_value
from models.money import money
from models.selection import Contender, Selection


def expectation_rows(selection: Selection) -> list[dict[str, str]]:
    """One row per expectation: its target and weight, then each vendor's value, whether it
    met it, and where the value came from."""
    rows: dict[str, dict[str, str]] = {}
    for contender in selection.contenders:
        for line in contender.evaluation.scorecard if contender.evaluation else []:
            row = rows.setdefault(
                line.id,
                {
                    "expectation": line.id,
                    "target": f"{line.comparator} {_num(line.target)} {line.unit}",
                    "weight": _num(line.weight),
                },
            )
            value = "-" if line.measured is None else shown_value(line.measured, line.unit)
            met = "not due" if not line.due else ("met" if line.met else "missed")
            row[contender.vendor] = f"{value} ({met}; {line.provenance})"
    vendors = [c.vendor for c in selection.contenders]
    return [{**row, **{v: row.get(v, "-") for v in vendors}} for row in rows.values()]


def vendor_rows(selection: Selection) -> list[dict[str, str]]:
    """One row per vendor: phase, score, its own recommendation, cost and schedule."""
    return [_vendor_row(c, selection.currency) for c in selection.contenders]


def _vendor_row(contender: Contender, currency: str) -> dict[str, str]:
    row = {"vendor": contender.vendor, "trial": contender.slug, "phase": str(contender.phase)}
    evaluation = contender.evaluation
    if evaluation is None:
        return row | dict.fromkeys(
            (
                "score",
                "recommends",
                "actual",
                "per rung done",
                "forecast",
                "variance",
                "days late",
                "overrides",
            ),
            "-",
        )
    budget = evaluation.budget
    share = evaluation.override_index.share
    return row | {
        "score": "-" if evaluation.score is None else f"{evaluation.score:.3f}",
        "recommends": str(evaluation.recommendation.choice),
        "actual": money(budget.actual, currency),
        "per rung done": money(contender.cost_per_rung, currency),
        "forecast": money(budget.forecast, currency),
        "variance": money(budget.variance, currency),
        "days late": _num(evaluation.days_late),
        "overrides": f"{evaluation.override_index.overrides}"
        + ("" if share is None else f" ({share:.0%} of directives)"),
    }


def selection_markdown(selection: Selection) -> str:
    """The selection gate as markdown: the advice, the vendors, and the expectations."""
    advice = selection.advice.vendor or "none"
    lines = [
        f"# Bake-off {selection.bakeoff}: selection",
        "",
        f"The engine recommends selecting **{advice}** (amounts in {selection.currency}).",
        "",
        *_table(vendor_rows(selection)),
        "",
        "## Per expectation, per vendor",
        "",
        *_table(expectation_rows(selection)),
        "",
        "## Why",
        "",
        *(f"- {_cell(reason)}" for reason in selection.advice.reasons),
    ]
    return "\n".join(lines)


def _table(rows: list[dict[str, str]]) -> list[str]:
    if not rows:
        return ["(no vendor has reached evaluation)"]
    head = list(rows[0])
    return [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(_cell(row.get(k, "-")) for k in head) + " |" for row in rows),
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _num(value: Decimal | None) -> str:
    return "-" if value is None else f"{value.normalize():f}"
