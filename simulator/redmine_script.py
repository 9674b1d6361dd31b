"""What the simulated vendor does on one rung in Redmine, and when: pure and seeded.

A rung's script is fixed by the seed, the rung's reference and its creation time, so a
vendor that stops half-way and starts again picks up the same script where Redmine shows it
left off (each ticket act makes exactly one journal, so a ticket's journals count its acts).
"""

from __future__ import annotations

import csv
import io
import random
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from models.money import round_money
from simulator.profiles import Profile

VENDOR, LEAD, CLIENT = "vendor", "lead", "client"  # who acts: any staff, the first, the client
PRIORITIES = (("Normal", 0.7), ("High", 0.2), ("Urgent", 0.1))
TOPICS = (
    "Printer on floor 3 offline",
    "VPN drops every hour",
    "Password reset for a new starter",
    "Shared mailbox not syncing",
    "Laptop will not boot",
    "Access to the finance share",
    "Teams calls echo",
    "Software install request",
    "Monitor flickers",
    "Phone not receiving email",
)
FEEDBACK_SHARE = 0.2  # tickets that wait on the client once
REOPEN_SHARE = 0.2  # a poor vendor's closed tickets that come back
_HOURS = re.compile(r"([A-Za-z0-9_-]+) ([0-9]+(?:\.[0-9]+)?) h")


@dataclass(frozen=True)
class Pace:
    """How fast a vendor answers and resolves helpdesk tickets."""

    response_minutes: tuple[float, float]
    resolution_hours: tuple[float, float]


PROMPT = Pace((5, 25), (1, 6))
SLOW = Pace((40, 150), (6, 30))


def pace(profile: Profile) -> Pace:
    """The poor profile (the one that misses its targets) is slow; the others are prompt."""
    return PROMPT if profile.meets_targets else SLOW


@dataclass(frozen=True)
class Act:
    """One journal on a ticket: who writes it, when, the note, and the status it sets."""

    at: datetime
    by: str
    note: str
    status: str | None = None
    closes: bool = False


@dataclass(frozen=True)
class TicketScript:
    """A helpdesk ticket the client opens, and everything that happens to it."""

    subject: str
    priority: str
    opened_at: datetime
    acts: list[Act]


def ticket_scripts(
    *, profile: Profile, key: str, rung_id: int, start: datetime, delivery: datetime, count: int
) -> list[TicketScript]:
    """`count` tickets opened over the first 60% of the rung's time, all before delivery;
    `key` (the seed and the rung's reference) seeds them."""
    span = (delivery - start) * 0.6
    scripts = []
    for n in range(count):
        rng = random.Random(f"{key}:{n}")
        opened = start + span * ((n + rng.uniform(0.1, 0.9)) / count)
        subject = f"{TOPICS[n % len(TOPICS)]} (ticket {rung_id}.{n + 1})"
        priority = rng.choices([p for p, _ in PRIORITIES], [w for _, w in PRIORITIES])[0]
        scripts.append(TicketScript(subject, priority, opened, _acts(profile, opened, rng)))
    return scripts


def _acts(profile: Profile, opened: datetime, rng: random.Random) -> list[Act]:
    speed = pace(profile)
    answered = opened + timedelta(minutes=rng.uniform(*speed.response_minutes))
    resolved = opened + timedelta(hours=rng.uniform(*speed.resolution_hours))
    acts = [Act(answered, VENDOR, "Thanks, we are looking into it.", "In Progress")]
    if rng.random() < FEEDBACK_SHARE:
        work = resolved - answered
        acts += [
            Act(
                answered + work * 0.3, VENDOR, "Could you confirm when it last worked?", "Feedback"
            ),
            Act(answered + work * 0.5, CLIENT, "It worked until yesterday morning."),
            Act(answered + work * 0.6, VENDOR, "Thanks, carrying on.", "In Progress"),
        ]
    acts.append(Act(resolved, VENDOR, "Fixed; closing. Reopen if it comes back.", "Closed", True))
    if not profile.meets_targets and rng.random() < REOPEN_SHARE:
        back = resolved + timedelta(hours=rng.uniform(1, 4))
        again = back + timedelta(hours=rng.uniform(1, 3))
        acts += [
            Act(back, CLIENT, "It has happened again."),
            Act(back + timedelta(minutes=10), LEAD, "Reopened; looking again.", "In Progress"),
            Act(again, LEAD, "Fixed again; closing.", "Closed", True),
        ]
    return acts


def rung_hours(description: str, estimated: float | None, roles: list[str]) -> dict[str, Decimal]:
    """Estimated hours by role: the `Hours: engineer 8 h, lead 4 h.` line the engine writes,
    else the estimated hours split evenly over `roles`."""
    for line in description.splitlines():
        if line.startswith("Hours: "):
            found = {role: Decimal(h) for role, h in _HOURS.findall(line)}
            if found:
                return found
    share = Decimal(str(estimated or 0)) / max(len(roles), 1)
    return {role: share.quantize(Decimal("0.01")) for role in roles}


def invoice_csv(
    *, number: str, issued: datetime, currency: str, lines: list[tuple[int, Decimal, Decimal]]
) -> str:
    """An invoices file of one invoice; `lines` are (time entry id, hours, rate)."""
    amount = sum((round_money(h * r, currency) for _, h, r in lines), Decimal(0))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["number", "issued_on", "currency", "amount", "time_entry_ids"])
    ids = " ".join(str(i) for i, _, _ in lines)
    writer.writerow([number, issued.date().isoformat(), currency, amount, ids])
    return out.getvalue()


def runbook(rung: str, title: str) -> str:
    """A runbook of a few pages in Markdown for the rung's work."""
    steps = "\n".join(
        f"{n}. {verb} and record the result in the ticket before moving on."
        for n, verb in enumerate(
            [
                "Confirm the caller's identity",
                "Check the monitoring dashboard",
                "Reproduce it",
                "Apply the documented fix",
                "Verify with the caller",
                "Close with a summary",
            ],
            start=1,
        )
    )
    sections = [
        f"## {topic}\n\nWhen a ticket reports: {topic.lower()}.\n\n{steps}\n\n"
        "Escalate to the on-call lead when the fix is not in this runbook, and add it here "
        "once found, so that the next engineer does not have to find it again.\n"
        for topic in TOPICS
    ]
    return f"# Runbook: {title} ({rung})\n\n" + "\n".join(sections)
