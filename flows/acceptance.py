"""The acceptance gate of a delivered rung: client reviews asked in the Prefect UI's form,
answered there or by `trials review`, before the rung is accepted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, ClassVar

from pydantic import ConfigDict, Field, create_model

from config import get_settings
from flows.gates import GateInput, ask
from models.acceptance import ACCEPT, WAITING_FOR_REVIEW, AcceptanceRequest, review_range
from models.gate_kinds import POLICY
from tasks.reviews import record_reviews
from tasks.trial_state import decision_on_record, record_decision


def field_name(expectation: str) -> str:
    """The form's field for an expectation's review: `first_response` for first-response."""
    return expectation.replace("-", "_")


class AcceptanceInput(GateInput):
    """The client's reviews at the acceptance gate: one value per expectation due."""

    note: str = Field(default="", description="What the reviewer saw; kept as evidence.")
    reviewed: ClassVar[dict[str, str]] = {}  # field name -> expectation id

    def values(self) -> dict[str, Decimal]:
        """The reviewed value of each expectation, by expectation id."""
        return {
            expectation: Decimal(str(getattr(self, name)))
            for name, expectation in self.reviewed.items()
        }

    @classmethod
    def at(cls, request: AcceptanceRequest) -> type[AcceptanceInput]:
        """The form for this gate: a number field for each review missing, on its unit's
        scale (the server refuses a 7 on a 1–5 scale before it resumes the run)."""
        fields: dict[str, Any] = {}
        schema: dict[str, dict[str, object]] = {}
        for due in request.missing:
            scale = review_range(due.unit)
            said = (
                "" if due.vendor_reported is None else f"; the vendor reports {due.vendor_reported}"
            )
            description = (
                f"{due.description or due.metric}: target {due.comparator} {due.target} "
                f"{due.unit}{said}."
            )
            fields[field_name(due.id)] = (
                Decimal,
                Field(
                    title=f"{due.id} ({due.unit})",
                    description=description,
                    ge=scale[0] if scale else None,
                    le=scale[1] if scale else None,
                ),
            )
            number: dict[str, object] = {"type": "number", "title": f"{due.id} ({due.unit})"}
            number["description"] = description
            if scale is not None:
                number |= {"minimum": float(scale[0]), "maximum": float(scale[1])}
            schema[field_name(due.id)] = number

        def numbers(json_schema: dict[str, Any]) -> None:
            json_schema["properties"] |= schema  # plain number inputs in the UI's form

        with_fields = create_model(cls.__name__, __base__=cls, **fields)
        namespace = {
            "model_config": ConfigDict(json_schema_extra=numbers),
            "__module__": cls.__module__,
            "reviewed": {field_name(d.id): d.id for d in request.missing},
        }
        return type(cls.__name__, (with_fields,), namespace)


async def settle_acceptance(
    request: AcceptanceRequest, decisions: str, timeout: int, how: str
) -> bool:
    """Have every review due at the gate on record; False while any is missing.

    Asking, the form takes each missing value; under a deployment, the trial's own run
    suspends here instead (`flows.trial`). With `decisions="auto"` (the demo), the vendor's
    own values are recorded as stand-ins, labelled "vendor-reported, taken by policy", so
    the scorecard never shows them as the client's.
    """
    if not request.missing:  # reviewed meanwhile (`trials review`): accepted on their word
        by = ", ".join(request.reviewers) or POLICY
        return await _accepted(request, "every review due is on record", by)
    if decisions == "auto" and (stand_ins := request.stand_ins()) is not None:
        note = "no client review: the vendor's own value taken by policy (--auto)"
        await record_reviews(request, stand_ins, POLICY, note, stand_in=True)
        return await _accepted(request, note, POLICY)
    answer = await ask(
        AcceptanceInput.at(request),
        slug=request.slug,
        gate=request.gate,
        waiting_for=WAITING_FOR_REVIEW,
        briefing=_briefing(request),
        timeout=timeout,
        how=how,
        advice=None,
        reason="reviewed the delivered work",
        decided_by=get_settings().actor,
    )
    if answer is None:
        return False
    await record_reviews(request, answer.values(), answer.decided_by, answer.note)
    return await _accepted(request, answer.reason, answer.decided_by)


async def _accepted(request: AcceptanceRequest, reason: str, by: str) -> bool:
    """Record the gate's decision once, for the audit: the rung accepted on these reviews."""
    if await decision_on_record(request.trial_id, request.gate) is None:
        await record_decision(
            request.trial_id, request.gate, ACCEPT, None, reason, by, request.evidence()
        )
    return True


def _briefing(request: AcceptanceRequest) -> str:
    """What the form says above its fields: the rung, and each review it waits for."""
    rows = "\n".join(
        f"| {d.id} | {d.comparator} {d.target} {d.unit} | "
        f"{'–' if d.vendor_reported is None else d.vendor_reported} |"
        for d in request.missing
    )
    return (
        f"**{request.slug}**: {request.rationale}.\n\n"
        f"| expectation | target | the vendor reports |\n|---|---|---|\n{rows}\n\n"
        "Write what the client saw, in each expectation's unit. The vendor's figure is shown "
        "to compare; a difference beyond 10% is flagged on the scorecard."
    )
