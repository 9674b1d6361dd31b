"""What the scheduled monitor looks for in an active trial: silent vendors, late work, the cap.

Pure rules over what the store holds; the monitor flow reads the store, applies them, and
records and announces what they find.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel

from models.acceptance import WAITING_FOR_REVIEW
from models.context import VendorInfo
from models.gate_kinds import WAITING_FOR_A_PERSON, kind_waiting_for
from models.money import money
from models.phases import TERMINAL, Phase

ASKED = "asked"  # the audit action recording what a person is asked, and the engine's advice
# Emitted when a person's decision is recorded for the next run: prefect.yaml's carry-on
# deployment is triggered by it, as by a vendor's webhook, so no one waits for the monitor.
DECISION_RECORDED = "trials.decision.recorded"
ANNOUNCED = "announced"  # the audit action recording that a gate's opening was sent: its key


def asked_note(gate: str, advice: str | None, rationale: str) -> str:
    """The audit note when a gate first asks a person: the engine's advice, and why."""
    return f"{gate}: advice {advice or 'none'}: {rationale}"


def waiting_to_apply(gate: str) -> str:
    """What a trial waits for once a person decided at `gate` while no run waited there: a
    run to apply it (the monitor starts one), no longer the person."""
    return f"a run to apply the decision at {gate}"


def _utc(moment: datetime) -> datetime:
    """SQLite hands back times without their zone; the store writes them all in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


Utc = Annotated[datetime, AfterValidator(_utc)]


class Concern(StrEnum):
    """Why the monitor escalates."""

    OVERDUE = "overdue"  # a rung's deliverable is past its due date
    SILENT = "silent"  # no word from the vendor on a rung for too long
    OVER_CAP = "over-cap"  # the engagement's spend reached its cap
    REVIEW_DUE = "review-due"  # a delivered rung waits for the client's review too long
    REMINDER = "reminder"  # a gate still open after the plan's notify: remind_after_hours


class OpenRung(BaseModel):
    """A rung sent to the vendor and not delivered yet."""

    key: str
    submitted_at: Utc  # on the vendor's clock, as its work item says
    sent_at: Utc  # on ours: when the vendor's answer to the submission was recorded
    due_in_days: int

    @property
    def due_at(self) -> datetime:
        return self.submitted_at + timedelta(days=self.due_in_days)


class Watch(BaseModel):
    """What the store holds about one active trial, as the monitor needs it."""

    slug: str
    trial_id: int
    vendor: str
    phase: Phase
    engagement: int
    waiting_for: str | None
    waiting_since: Utc | None
    open_rungs: list[OpenRung]
    last_heard: Utc | None  # the vendor's latest webhook about the trial
    spent: Decimal
    cap: Decimal
    currency: str
    raised: set[str]  # the keys of the escalations raised before
    review_within: timedelta | None = None  # the plan's review window, while a rung waits
    remind_after: timedelta | None = None  # the plan's reminder interval at an open gate
    carried_on_at: Utc | None = None  # when the monitor last started a run for it
    # How to ask a vendor that sends no webhooks what changed (models.adapter_checks.POLLED).
    polled: VendorInfo | None = None

    @property
    def waits_for_a_person(self) -> bool:
        """Waiting at a gate: the monitor leaves it to the person, and does not advance it."""
        return self.waiting_for in WAITING_FOR_A_PERSON

    @property
    def can_advance(self) -> bool:
        """Started, not finished, and not waiting for a person."""
        return can_advance(self.phase, self.waiting_for)


def can_advance(phase: Phase, waiting_for: str | None) -> bool:
    """Whether a run can carry a trial on: started, not finished, not waiting for a person."""
    return (
        phase is not Phase.DRAFT
        and phase not in TERMINAL
        and waiting_for not in WAITING_FOR_A_PERSON
    )


class News(StrEnum):
    """Why the monitor carries a trial on: what happened since it last started a run for it."""

    FIRST = "first"  # the monitor never started a run for it
    NO_WAIT = "no-wait"  # no wait recorded: its last run ended without one, or is under way
    DECISION = "decision"  # a person decided, and a run must apply it
    WEBHOOK = "webhook"  # the vendor sent a webhook about it
    DUE = "due"  # a rung's due time passed
    SILENT = "silent"  # the silent-after window of a rung passed
    POLL = "poll"  # nothing heard for a poll interval: ask the vendor (vendors without webhooks)
    CHANGED = "changed"  # a vendor without webhooks shows a change since the last run


def news(
    watch: Watch, now: datetime, silent_after: timedelta, poll_after: timedelta
) -> News | None:
    """Why the trial should be carried on now, or None when nothing changed since the monitor
    last started a run for it (a trial waiting for a person is left to them)."""
    since = watch.carried_on_at
    if not watch.can_advance:
        return None
    if since is None:
        return News.FIRST
    if watch.waiting_for is None:
        return News.NO_WAIT
    if watch.waiting_for.startswith(waiting_to_apply("")) and (
        watch.waiting_since is None or watch.waiting_since > since
    ):
        return News.DECISION
    if watch.last_heard is not None and watch.last_heard > since:
        return News.WEBHOOK
    if any(since < rung.due_at <= now for rung in watch.open_rungs):
        return News.DUE
    for rung in watch.open_rungs:
        if since < max(rung.sent_at, watch.last_heard or rung.sent_at) + silent_after <= now:
            return News.SILENT
    return News.POLL if now - since >= poll_after else None


class Escalation(BaseModel):
    """One concern about a trial, raised once under its key."""

    key: str
    concern: Concern
    message: str


def escalations(watch: Watch, now: datetime, silent_after: timedelta) -> list[Escalation]:
    """The concerns about the trial now that were not raised before."""
    found: list[Escalation] = []
    for rung in watch.open_rungs:
        if now > rung.due_at:
            found.append(
                Escalation(
                    key=f"overdue:e{watch.engagement}:{rung.key}",
                    concern=Concern.OVERDUE,
                    message=f"{watch.vendor} has not delivered {rung.key}, due "
                    f"{rung.due_at:%Y-%m-%d %H:%M} UTC ({span_in_words(now - rung.due_at)} "
                    "ago). Chase the vendor; `trials show` has the rung's history.",
                )
            )
        heard = max(rung.sent_at, watch.last_heard or rung.sent_at)
        if now - heard > silent_after:
            found.append(
                Escalation(
                    key=f"silent:e{watch.engagement}:{rung.key}",
                    concern=Concern.SILENT,
                    message=f"No word from {watch.vendor} on {rung.key} for "
                    f"{span_in_words(now - heard)} (no webhook and no delivery since "
                    f"{heard:%Y-%m-%d %H:%M} UTC). Chase the vendor, and check that its "
                    "webhooks reach this engine.",
                )
            )
    if watch.spent >= watch.cap:
        found.append(
            Escalation(
                key=f"over-cap:e{watch.engagement}",
                concern=Concern.OVER_CAP,
                message=f"{watch.slug} has spent {money(watch.spent, watch.currency)} "
                f"{watch.currency}, at or over its cap of {money(watch.cap, watch.currency)}. "
                "No further rung starts; decide at the evaluation gate.",
            )
        )
    waited = now - watch.waiting_since if watch.waiting_since else None
    if (
        watch.waiting_for == WAITING_FOR_REVIEW
        and watch.review_within is not None
        and waited is not None
        and waited > watch.review_within
        and watch.waiting_since is not None
    ):
        found.append(
            Escalation(
                key=f"review-due:e{watch.engagement}:{watch.waiting_since:%Y%m%dT%H%M%S}",
                concern=Concern.REVIEW_DUE,
                message=f"{watch.slug} has waited {span_in_words(waited)} for the client's "
                f"review of its delivered rung, beyond the plan's {watch.review_within.days} "
                f"days. Review it: `trials review {watch.slug} EXPECTATION VALUE --by NAME` "
                "(`trials status` shows which), or in the paused run's form.",
            )
        )
    found += _reminder(watch, waited)
    return [e for e in found if e.key not in watch.raised]


def _reminder(watch: Watch, waited: timedelta | None) -> list[Escalation]:
    """A reminder, once per wait, of a gate open longer than the plan's interval (a rung
    waiting for its review has its own, review-due)."""
    kind = kind_waiting_for(watch.waiting_for)
    if kind is None or watch.waiting_for == WAITING_FOR_REVIEW or watch.waiting_since is None:
        return []
    if watch.remind_after is None or waited is None or waited <= watch.remind_after:
        return []
    return [
        Escalation(
            key=f"reminder:e{watch.engagement}:{kind.name}:{watch.waiting_since:%Y%m%dT%H%M%S}",
            concern=Concern.REMINDER,
            message=f"{watch.slug} has waited {span_in_words(waited)} for a person: "
            f"{watch.waiting_for}. Answer in the form of its run (`trials status` links it), "
            f"or: {kind.how_to_answer(watch.slug)}",
        )
    ]


def span_in_words(span: timedelta) -> str:
    """A span in words: minutes under two hours, hours under two days, then days."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    return f"{minutes // (24 * 60)} days"
