"""Directives: the client's instructions to the vendor, classified against the authority split.

Inside an area the plan gives the client, an instruction is a normal directive. Inside
an area it gives the vendor, it is an override of the vendor's expertise: it needs a
justification, and the evaluation counts it.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from pydantic import BaseModel

from models.authority import normalise
from models.errors import TrialsError
from models.keys import idempotency_key
from models.plan import Authority


class Classification(StrEnum):
    """Whose area a directive entered."""

    DIRECTIVE = "directive"  # the client's own area
    OVERRIDE = "override"  # the vendor's area


class Outcome(StrEnum):
    """What the vendor answered to a directive."""

    ACCEPTED = "accepted"
    PUSHED_BACK = "pushed_back"


class Instruction(BaseModel):
    """A directive as checked: its text, the area as the plan names it, and its class."""

    text: str
    area: str
    classification: Classification
    justification: str = ""

    @property
    def is_override(self) -> bool:
        """Whether the instruction enters the vendor's area."""
        return self.classification is Classification.OVERRIDE


def classify(
    slug: str, text: str, area: str, justification: str, authority: Authority
) -> Instruction:
    """Check an instruction and classify it; a TrialsError says what to fix when it is wrong.

    The area matches the plan's lists after normalisation ("Tooling" is "tooling"), and is
    recorded as the plan spells it, so that overrides of one area count together.
    """
    text, justification = " ".join(text.split()), " ".join(justification.split())
    if not text:
        raise TrialsError(
            f"The directive for trial '{slug}' has no text: say what the vendor is to do, "
            f'e.g. trials direct {slug} "Answer the finance team first" --area AREA.'
        )
    client = _find(area, authority.client_decides)
    if client is not None:
        return Instruction(
            text=text,
            area=client,
            classification=Classification.DIRECTIVE,
            justification=justification,
        )
    vendor = _find(area, authority.vendor_decides)
    if vendor is None:
        raise TrialsError(
            f"The area '{area}' is in neither authority list of trial '{slug}'. The client "
            f"decides: {', '.join(authority.client_decides)}; the vendor decides: "
            f"{', '.join(authority.vendor_decides)}. Give one of these with --area."
        )
    if not justification:
        raise TrialsError(
            f"'{vendor}' is the vendor's area in trial '{slug}', so this directive overrides "
            "the vendor's expertise. An override needs a justification: add --because "
            '"WHY" (e.g. a security policy that leaves no choice); it is recorded and counted.'
        )
    return Instruction(
        text=text, area=vendor, classification=Classification.OVERRIDE, justification=justification
    )


def directive_key(slug: str, engagement: int, instruction: Instruction) -> str:
    """The directive's idempotency key, from its area and words: a repeat is a retry.

    Giving the very same instruction again therefore finds the first one instead of
    sending the vendor a duplicate.
    """
    digest = hashlib.sha256(f"{instruction.area}\n{instruction.text}".encode()).hexdigest()
    return idempotency_key(slug, engagement, "directive", digest[:16])


def _find(area: str, areas: list[str]) -> str | None:
    """The plan's spelling of `area` in `areas`, or None."""
    wanted = normalise(area)
    if not wanted:
        return None
    return next((a for a in areas if normalise(a) == wanted), None)
