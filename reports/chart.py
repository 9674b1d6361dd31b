"""The burn chart: spend against the plan, rung by rung, under the estimate and the cap."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")  # files only: no display, and no GUI toolkit to import

import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

from models.budget import BudgetReport  # noqa: E402
from models.money import money

SIZE = (8.0, 4.5)  # inches, at 100 dpi: 800 × 450 pixels


def burn_chart(report: BudgetReport) -> bytes:
    """The chart as PNG bytes: cumulative actual and planned cost, the thresholds, the cap."""
    figure, axes = plt.subplots(figsize=SIZE, dpi=100)
    try:
        labels = ["start", *(row.rung for row in report.rungs)]
        steps = range(len(labels))
        planned = [0.0, *(float(row.cumulative_estimate) for row in report.rungs)]
        actual = [0.0] + [
            float(row.cumulative_actual) for row in report.rungs if row.actual or row.invoiced
        ]
        axes.plot(steps, planned, marker="o", linestyle="--", color="#7a869a", label="planned")
        axes.plot(
            steps[: len(actual)], actual, marker="o", linewidth=2.5, color="#1f6feb", label="spent"
        )
        if report.status.forecast != report.status.actual and len(actual) < len(labels):
            axes.plot(
                [len(actual) - 1, len(labels) - 1],
                [actual[-1], float(report.status.forecast)],
                linestyle=":",
                color="#1f6feb",
                label=f"forecast at completion {money(report.status.forecast, report.currency)}",
            )
        for mark in report.marks:
            cap = mark.label == "the cap"
            axes.axhline(
                float(mark.amount),
                color="#d1242f" if cap else "#bf8700",
                linewidth=1.5 if cap else 0.8,
                linestyle="-" if cap else "-.",
            )
            axes.annotate(
                f"{mark.label} {money(mark.amount, report.currency)}",
                (len(labels) - 1, float(mark.amount)),
                xytext=(0, 3),
                textcoords="offset points",
                horizontalalignment="right",
                fontsize=8,
                color="#d1242f" if cap else "#9a6700",
            )
        axes.set_xticks(list(steps), labels)
        axes.set_ylabel(report.currency)
        axes.set_ylim(bottom=0, top=float(max(report.cap, report.status.forecast)) * 1.15)
        axes.set_title(f"{report.slug}: burn, engagement {report.engagement}")
        axes.grid(axis="y", alpha=0.3)
        axes.legend(loc="upper left", fontsize=8, framealpha=0.9)
        figure.tight_layout()
        out = io.BytesIO()
        figure.savefig(out, format="png")
        return out.getvalue()
    finally:
        plt.close(figure)
