"""The bake-off's charts: each expectation's weighted points per vendor, and every vendor's
burn on the shared ladder on one chart."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # files only: no display, and no GUI toolkit to import

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)
from matplotlib.figure import Figure  # noqa: E402

from models.budget import BudgetReport  # noqa: E402
from models.scoring import ScoreLine  # noqa: E402
from models.selection import Contender, Selection  # noqa: E402

SIZE = (8.0, 4.5)  # inches, at 100 dpi: 800 × 450 pixels


def score_chart(selection: Selection) -> bytes:
    """PNG bytes: per expectation, each vendor's points (its weight when met, else 0),
    against the weight it could earn; each vendor's weighted score in the legend."""
    figure, axes = plt.subplots(figsize=SIZE, dpi=100)
    try:
        scored = [c for c in selection.contenders if c.evaluation is not None]
        ids = list(dict.fromkeys(line.id for c in scored for line in _lines(c)))
        width = 0.8 / max(len(scored), 1)
        for n, contender in enumerate(scored):
            lines = {line.id: line for line in _lines(contender)}
            points = [float(lines[i].weight) if i in lines and lines[i].met else 0.0 for i in ids]
            score = contender.evaluation.score if contender.evaluation else None
            label = f"{contender.vendor} (score {'–' if score is None else f'{score:.2f}'})"
            offsets = [k + (n - (len(scored) - 1) / 2) * width for k in range(len(ids))]
            axes.bar(offsets, points, width=width * 0.95, label=label)
        if scored:
            weights = {line.id: float(line.weight) for line in _lines(scored[0])}
            axes.scatter(
                range(len(ids)),
                [weights.get(i, 0.0) for i in ids],
                marker="_",
                s=900,
                color="#1f2328",
                label="the expectation's weight",
            )
        axes.set_xticks(list(range(len(ids))), ids, rotation=15, ha="right")
        axes.set_ylabel("weighted points (met: its weight)")
        axes.set_title(f"Bake-off {selection.bakeoff}: score per expectation per vendor")
        axes.grid(axis="y", alpha=0.3)
        axes.legend(loc="upper right", fontsize=8, framealpha=0.9)
        return _png(figure)
    finally:
        plt.close(figure)


def burn_chart(bakeoff: str, budgets: dict[str, BudgetReport], currency: str) -> bytes:
    """PNG bytes: each vendor's cumulative spend rung by rung on the shared ladder, its
    plan dashed in the same colour."""
    figure, axes = plt.subplots(figsize=SIZE, dpi=100)
    try:
        labels: list[str] = ["start"]
        for vendor, report in budgets.items():
            rungs = ["start", *(row.rung for row in report.rungs)]
            labels = rungs if len(rungs) > len(labels) else labels
            planned = [0.0, *(float(row.cumulative_estimate) for row in report.rungs)]
            spent = [0.0] + [
                float(row.cumulative_actual) for row in report.rungs if row.actual or row.invoiced
            ]
            (line,) = axes.plot(range(len(spent)), spent, marker="o", linewidth=2.2, label=vendor)
            axes.plot(
                range(len(planned)),
                planned,
                linestyle="--",
                linewidth=0.9,
                color=line.get_color(),
                label=f"{vendor} planned",
            )
        axes.set_xticks(list(range(len(labels))), labels)
        axes.set_ylabel(currency)
        axes.set_ylim(bottom=0)
        axes.set_title(f"Bake-off {bakeoff}: burn per vendor on the shared ladder")
        axes.grid(axis="y", alpha=0.3)
        axes.legend(loc="upper left", fontsize=8, framealpha=0.9)
        return _png(figure)
    finally:
        plt.close(figure)


def _lines(contender: Contender) -> list[ScoreLine]:
    """The contender's scorecard on the shared ladder; none before its evaluation."""
    return contender.evaluation.scorecard if contender.evaluation else []


def _png(figure: Figure) -> bytes:
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
