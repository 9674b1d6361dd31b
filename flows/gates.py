"""A gate where a person decides: the form in the Prefect UI, and the pause that waits for it.

The same pause is answered by `trials decide` from the command line.
"""

from __future__ import annotations

from copy import copy
from typing import Annotated, Any, Self, TypeVar

from prefect.exceptions import FlowPauseTimeout
from prefect.flow_runs import apause_flow_run, asuspend_flow_run
from prefect.input import RunInput
from pydantic import Field, create_model

from config import get_settings
from models.evaluation import pause_key
from models.gate_kinds import kind_of
from models.monitor import asked_note
from models.notify import GateNotice
from tasks.reporting import announce_gate, form_url
from tasks.trial_state import gate_announced, mark_gate_announced, set_waiting

# How a run waits for the answer: it pauses (its process waits), it suspends (its process
# ends, and the server reschedules the run once answered: deployment runs only), or it
# does not wait (the answer is recorded for the next run).
PAUSE, SUSPEND, NO_WAIT = "pause", "suspend", "no-wait"


def how_to_wait(decisions: str) -> str:
    """How a phase flow run waits at a gate in this decision mode ("ask" or "defer")."""
    return PAUSE if decisions == "ask" else NO_WAIT


Said = Annotated[str, Field(min_length=1, pattern=r"\S")]


class GateInput(RunInput):
    """Why and who, asked at every gate beside the gate's own choice."""

    reason: Annotated[Said, Field(description="Why: recorded with the decision.")]
    decided_by: Annotated[Said, Field(description="Who decides.")]

    @classmethod
    def with_initial_data(cls, description: str | None = None, **kwargs: Any) -> type[Self]:
        """The form prefilled with `kwargs`, keeping the rules that Prefect's version drops."""
        # The server checks an answer against the form's schema, so a blank reason is refused.
        fields: dict[str, Any] = {}
        for name, value in kwargs.items():
            field = copy(cls.model_fields[name])
            field.default = value
            fields[name] = (field.annotation, field)
        form = create_model(cls.__name__, __base__=cls, **fields)
        if description is not None:
            form._description = description
        return form


Answer = TypeVar("Answer", bound=GateInput)


async def ask(
    form: type[Answer],
    *,
    slug: str,
    gate: str,
    waiting_for: str,
    briefing: str,
    timeout: int,
    how: str = PAUSE,
    advice: str | None,
    **prefilled: Any,
) -> Answer | None:
    """Wait for a person's answer, the form prefilled; None if none came (in time).

    The trial shows as waiting for the decision meanwhile, so `trials show` and the
    monitor see it, and the gate's opening is announced once, for the plan's people to be
    told: sent (`tasks.reporting.send_event`, which raises if the server does not take it),
    recorded as sent in the audit log, and only then the trial shown waiting, so a run
    killed on the way leaves a trial the monitor carries on, and its rerun sends what was
    not recorded (with the same event id). A suspended run ends its process
    here, and the run starts again from the top once answered; then this call returns the
    answer, as the gate's key has fired.
    """
    rationale = str(prefilled.get("reason", ""))
    # Told first, then waiting: a run killed in between leaves the trial to be carried on
    # (the monitor starts it again), never waiting at a gate nobody was told of.
    if not await gate_announced(slug, gate):
        notice = GateNotice(
            slug=slug,
            gate=gate,
            needed=waiting_for,
            advice=advice,
            rationale=rationale,
            form_url=await form_url(this_run=how != NO_WAIT),
            answer=kind_of(gate).how_to_answer(slug),
        )
        await announce_gate(notice)
        await mark_gate_announced(slug, gate)
    await set_waiting(slug, waiting_for, asked_note(gate, advice, rationale))
    if how == NO_WAIT:
        return None
    question = form.with_initial_data(description=briefing, **prefilled)
    if how == SUSPEND:
        return await asuspend_flow_run(wait_for_input=question, key=pause_key(gate))
    try:
        # Prefect types poll_interval as int; it sleeps that long, fractions of a second too.
        poll_interval: Any = get_settings().gate_poll_seconds
        answer = await apause_flow_run(
            wait_for_input=question,
            timeout=timeout,
            poll_interval=poll_interval,
            key=pause_key(gate),
        )
    except FlowPauseTimeout:
        return None
    return answer
