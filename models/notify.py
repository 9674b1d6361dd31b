"""Who is told when a trial needs a person, and what they are told: the plan's `notify:`
section, and the text of each notification. Pure: Prefect's automations send them."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Annotated
from uuid import UUID, uuid5

from pydantic import AfterValidator, AnyHttpUrl, BaseModel, ConfigDict, Field, StringConstraints

# The events a notification follows, one per occurrence, each emitted once under its key.
GATE_OPENED = "trials.gate.opened"
ESCALATION_RAISED = "trials.escalation.raised"  # the monitor's, reminders at an open gate too
BUDGET_THRESHOLD = "trials.budget.threshold"
TRIAL_EVENTS = (GATE_OPENED, ESCALATION_RAISED, BUDGET_THRESHOLD)
RUN_FAILED = "prefect.flow-run.Failed"  # Prefect's own

_EVENTS = UUID("5d0c7a52-93f4-4d0e-9d37-7d3b1f0e6a10")  # the namespace of the events' ids

# One address, as people write them: a local part, @, a domain with a dot. Deliverability
# is the mail server's to judge; this catches what is no address at all.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _address(value: str) -> str:
    if not _ADDRESS.match(value):
        raise ValueError(
            f"{value!r} is not an e-mail address: write one address per entry, e.g. "
            "vendor-manager@example.com"
        )
    return value


def _web_url(value: AnyHttpUrl) -> AnyHttpUrl:
    if value.host is None:
        raise ValueError(f"{value} names no host: write the webhook's full https:// URL")
    return value


EmailAddress = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_address)]
WebhookUrl = Annotated[AnyHttpUrl, AfterValidator(_web_url)]
# A notification block made on the Prefect server (in its UI): its type's slug and its name.
BlockRef = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+/[A-Za-z0-9_-]+$")]


class Notify(BaseModel):
    """Who is told when the trial needs a person, fails, or is escalated."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chat: list[WebhookUrl] = []  # incoming webhooks of Slack or Teams: {"text": ...}
    webhooks: list[WebhookUrl] = []  # generic webhooks, signed to Standard Webhooks
    email: list[EmailAddress] = []
    blocks: list[BlockRef] = []  # e.g. slack-webhook/ops, made on the server beforehand
    # Hours a gate may stay open before the people are reminded, once.
    remind_after_hours: Annotated[int, Field(gt=0, le=24 * 90)] = 24

    @property
    def anyone(self) -> bool:
        """Whether anybody at all is told."""
        return bool(self.chat or self.webhooks or self.email or self.blocks)


class GateNotice(BaseModel):
    """What a person is told when a gate opens."""

    slug: str
    gate: str
    needed: str  # what the trial waits for: "evaluation decision" and the like
    advice: str | None
    rationale: str
    form_url: str | None  # the run holding the form, in the Prefect UI
    answer: str  # the command that answers from a terminal

    @property
    def subject(self) -> str:
        return f"Trial {self.slug} needs a person: {self.needed}"

    @property
    def message(self) -> str:
        """Which trial, what is needed, the engine's advice, the form and the command."""
        advice = (
            f"The engine advises: {self.advice}." if self.advice else "The engine gives no advice."
        )
        form = (
            f"Answer in the form: {self.form_url}"
            if self.form_url
            else "Answer with `trials decide`; `trials status` links the run."
        )
        return (
            f"Trial {self.slug} waits for a person: {self.needed} (gate {self.gate}). {advice}\n"
            f"Why: {self.rationale}\n{form}\nOr from a terminal: {self.answer}"
        )


class Unsent(BaseModel):
    """A notification one of the automations could not send, as Prefect recorded it."""

    at: datetime
    automation: str  # "trials notify: SLUG", or with ": run failed"
    reason: str  # Prefect's: "Notification failed" and the like
    log: str | None  # the block's own account: which receiver refused, and how

    @property
    def line(self) -> str:
        """When, which automation, why, and what to do about it."""
        why = f"{self.reason}: {self.log}" if self.log else self.reason
        if "SMTP" in why:
            check = "the TRIALS_SMTP_ settings and the mail server"
        elif "webhook" in why:
            check = "the URL in the plan's (or TRIALS_NOTIFY's) notify: section"
        else:
            check = "the notification block in the Prefect UI (Blocks)"
        when = f"{self.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        return f"{when}, {self.automation!r}: {why}. Check {check}, then run `trials deploy`."


def event_id(slug: str, key: str) -> UUID:
    """The id of the event about `key` (a gate, an escalation): the same on every attempt,
    so Prefect's event pipeline takes a repeat for the event it has seen."""
    return uuid5(_EVENTS, f"{slug}:{key}")


def target_name(kind: str, target: str) -> str:
    """The name of the notification block for one target: stable, and free of the target's
    own text (a URL may carry a token)."""
    return f"trials-{kind}-{hashlib.sha256(target.encode()).hexdigest()[:16]}"


# The notification's text, rendered by Prefect's automation from the triggering event.
SUBJECT = (
    "{% if event.payload.subject %}{{ event.payload.subject }}"
    "{% else %}Trial {{ event.resource['prefect.resource.name'] }}: "
    "{{ event.payload.concern or 'budget threshold ' ~ event.payload.threshold }}{% endif %}"
)
BODY = (
    "{% if event.payload.subject %}{{ event.payload.message }}"
    "{% else %}Trial {{ event.resource['prefect.resource.name'] }}: "
    "{{ event.payload.message }}{% endif %}"
)
FAILED_SUBJECT = "Trial run {{ flow_run.name }} failed"
FAILED_BODY = (
    "The run {{ flow_run.name }} failed: {{ flow_run.state.message }}\n"
    "See it at {{ flow_run|ui_url }}; `trials start` carries the trial on from where the "
    "store says it is."
)
# The signed webhook's body: the event's own payload as JSON, for a client's tooling.
JSON_BODY = (
    '{"event": {{ event.event|tojson }}, "trial": '
    "{{ event.resource['prefect.resource.name']|tojson }}, "
    '"payload": {{ event.payload|tojson }}}'
)
