"""A trial's status as an operator reads it: phase and rung, burn, what it waits for."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from models.monitor import Utc, span_in_words
from models.phases import TERMINAL, Phase

IDLE = "a start: `trials start` or the monitor's next round"


class LatestRun(BaseModel):
    """The flow run to look at for a trial: the one waiting at a gate, or else its latest
    top-level run; its state, and where the UI shows it."""

    state: str  # the state's name: Running, Suspended, Failed, Crashed...
    url: str | None  # None when Prefect has no UI address configured

    @property
    def ended_badly(self) -> bool:
        """The run stopped without finishing: its logs, in the UI, say why."""
        return self.state in {"Failed", "Crashed", "Cancelled"}


class TrialStatus(BaseModel):
    """One trial, as `trials status` and the weekly status report show it."""

    slug: str
    vendor: str
    phase: str
    engagement: int
    rungs_done: int
    rungs_total: int
    current_rung: str | None  # the first rung not done yet
    spent: Decimal
    cap: Decimal
    currency: str
    waiting_for: str | None
    waiting_since: Utc | None
    escalations: list[str]  # the messages the monitor raised
    advice: str | None = None  # at a person's gate: what the engine advises

    @property
    def rung(self) -> str:
        """Where the ladder stands: "2/3 rung-3" while piloting; "3/3", or "1/3" for a ladder
        stopped early, once the trial has moved on."""
        done = f"{self.rungs_done}/{self.rungs_total}"
        climbing = self.current_rung and self.phase == "piloting"
        return f"{done} {self.current_rung}" if climbing else done

    @property
    def burn(self) -> str:
        """Spend against the cap: "4,665.85 USD (30% of cap)"."""
        share = f"{self.spent / self.cap:.0%}" if self.cap else "-"
        return f"{self.spent:,.2f} {self.currency} ({share} of cap)"

    def waiting(self, now: datetime, run: LatestRun | None = None) -> str:
        """What the trial waits for, and for how long: "vendor to deliver rung-2, 3 h", or
        "decision at evaluation (advice: expand), 20 min". An active trial whose last `run`
        finished with nothing left to wait for (its next engagement opened, say) waits for
        the start that carries it on."""
        if self.waiting_for is None:
            idle = (
                run is not None
                and run.state == "Completed"
                and Phase(self.phase) not in {Phase.DRAFT, *TERMINAL}
            )
            return IDLE if idle else "-"
        what = f"{self.waiting_for} (advice: {self.advice})" if self.advice else self.waiting_for
        if self.waiting_since is None:
            return what
        return f"{what}, {span_in_words(now - self.waiting_since)}"


def status_markdown(status: TrialStatus, now: datetime, run: LatestRun | None) -> str:
    """The weekly status report of one trial."""
    lines = [
        f"# {status.slug}: {status.phase}",
        "",
        "| | |",
        "|---|---|",
        f"| vendor | {status.vendor} |",
        f"| engagement | {status.engagement} |",
        f"| rungs done | {status.rung} |",
        f"| spent | {status.burn} |",
        f"| waiting for | {status.waiting(now, run)} |",
        f"| latest run | {_run_cell(run)} |",
        "",
    ]
    if status.escalations:
        lines += ["## Escalations", "", *(f"- {message}" for message in status.escalations)]
    return "\n".join(lines) + "\n"


def _run_cell(run: LatestRun | None) -> str:
    if run is None:
        return "-"
    return f"{run.state}: {run.url}" if run.url else run.state
