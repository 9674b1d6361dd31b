"""The kinds of gate where a trial waits for a person, one description each.

A gate kind says where it stands (its phase and the flow that asks and applies it), what
the trial shows while it waits, which choices it takes, and how to answer it from a
terminal. `trials decide`, `trials run`, `trials status` and the monitor read it from
here. Adding a kind means: a description here, a request in `models/` with the engine's
advice and `check_answer`, a way to find it open (`store.gates`), and the flow step that
asks and settles it (`flows.gates.ask`, and `flows.trial` to suspend there).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from models.acceptance import ACCEPT, WAITING_FOR_REVIEW
from models.approval import WAITING_FOR_APPROVAL, Approval
from models.cap import WAITING_FOR_CAP, CapChoice
from models.evaluation import WAITING_FOR_DECISION
from models.gates import Choice
from models.phases import Phase
from models.selection import SELECT, WAITING_FOR_SELECTION

POLICY = "policy"  # who decided, when the engine's advice was taken with no prompt (--auto)


class GateKind(BaseModel):
    """One kind of gate."""

    model_config = ConfigDict(frozen=True)

    name: str  # the gate key's prefix: budget-approval:e1, acceptance:e1:rung-3
    phase: Phase  # the phase a trial is in while it waits there
    flow: str  # the phase flow that asks and applies the decision
    waiting_for: str  # what `trials status` shows the trial waiting for
    choices: tuple[str, ...]
    answer: str  # how to answer from a terminal; {slug} is the trial

    def how_to_answer(self, slug: str) -> str:
        """The command that answers this gate for trial `slug`."""
        return self.answer.format(slug=slug)


APPROVAL = GateKind(
    name="budget-approval",
    phase=Phase.ONBOARDING,
    flow="onboarding",
    waiting_for=WAITING_FOR_APPROVAL,
    choices=tuple(Approval),
    answer="trials decide {slug} approve|reject --reason TEXT",
)
CAP = GateKind(
    name="budget-cap",
    phase=Phase.PILOTING,
    flow="ladder",
    waiting_for=WAITING_FOR_CAP,
    choices=tuple(CapChoice),
    answer="trials decide {slug} raise-cap --cap AMOUNT|rescope|exit --reason TEXT",
)
ACCEPTANCE = GateKind(
    name="acceptance",
    phase=Phase.PILOTING,
    flow="ladder",
    waiting_for=WAITING_FOR_REVIEW,
    choices=(ACCEPT,),
    answer="trials review {slug} EXPECTATION VALUE --by NAME",
)
EVALUATION = GateKind(
    name="evaluation",
    phase=Phase.EVALUATING,
    flow="evaluation",
    waiting_for=WAITING_FOR_DECISION,
    choices=tuple(Choice),
    answer="trials decide {slug} expand|extend|exit --reason TEXT",
)
# One gate for a whole bake-off (models.selection): its key and answer name the bake-off,
# and each vendor's trial waits at evaluation for it.
SELECTION = GateKind(
    name="selection",
    phase=Phase.EVALUATING,
    flow="bakeoff",
    waiting_for=WAITING_FOR_SELECTION,
    choices=(SELECT,),
    answer="trials decide BAKEOFF select VENDOR|none --reason TEXT "
    "(BAKEOFF: the bake-off {slug} takes part in)",
)
KINDS: tuple[GateKind, ...] = (APPROVAL, CAP, ACCEPTANCE, EVALUATION, SELECTION)
WAITING_FOR_A_PERSON = frozenset(kind.waiting_for for kind in KINDS)


def kind_of(gate: str) -> GateKind:
    """The kind of the gate with key `gate` (`budget-cap:e1:rung-3` is a CAP gate).

    Raises KeyError for a key of no kind: a bug, since every gate is made from a kind.
    """
    prefix = gate.split(":", 1)[0]
    for kind in KINDS:
        if kind.name == prefix:
            return kind
    raise KeyError(f"no gate kind is named {prefix!r} (gate {gate!r})")


def kind_waiting_for(waiting_for: str | None) -> GateKind | None:
    """The kind of gate a trial waiting for `waiting_for` waits at; None if not a person."""
    return next((kind for kind in KINDS if kind.waiting_for == waiting_for), None)
