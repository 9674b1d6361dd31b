"""Bake-offs in the store: the vendors' ordinary trials linked to one bake-off, the selection
gate worked out from them, and the selection recorded once."""

from __future__ import annotations

import hashlib
from datetime import date

from pydantic import BaseModel
from sqlalchemy import update
from sqlmodel import Session, col, select

from models.errors import DuplicateError, NotFoundError, TrialsError
from models.evaluation import EvaluationFacts, evaluate
from models.monitor import waiting_to_apply
from models.phases import Phase
from models.plan import Plan
from models.selection import Contender, Selection, select_among, selection_gate
from models.tables import AuditEntry, Bakeoff, BakeoffTrial, Decision, Trial, utcnow
from store.decisions import add_decision
from store.evaluation import done_spend, evaluation_facts
from store.trials import create_trial, set_waiting_for


class Entry(BaseModel):
    """A vendor of a bake-off, and its trial as it stands."""

    vendor: str
    name: str
    slug: str
    trial_id: int
    phase: Phase


def plans_sha256(plans: dict[str, Plan]) -> str:
    """A fingerprint of the bake-off's vendors' plans, in their order."""
    text = "\n".join(f"{vendor}:{plan.model_dump_json()}" for vendor, plan in plans.items())
    return hashlib.sha256(text.encode()).hexdigest()


def store_bakeoff(
    *, session: Session, bakeoff: str, title: str, plans: dict[str, Plan], actor: str
) -> list[Entry]:
    """Store the bake-off and one draft trial per vendor, linked; a rerun finds them stored.

    Raises DuplicateError when the bake-off is stored with other plans, or a vendor's trial
    id is taken by a trial of no bake-off.
    """
    sha = plans_sha256(plans)
    row = session.exec(select(Bakeoff).where(Bakeoff.slug == bakeoff)).first()
    if row is not None:
        if row.plan_sha256 != sha:
            raise DuplicateError(
                f"Bake-off '{bakeoff}' is stored with another plan. Rename `bakeoff:` to start "
                f"a new one, or run the file it was started from; `trials list` lists trials."
            )
        return bakeoff_entries(session=session, bakeoff=bakeoff)
    currency = next(iter(plans.values())).currency
    row = Bakeoff(slug=bakeoff, title=title, currency=currency, plan_sha256=sha)
    session.add(row)
    session.flush()
    assert row.id is not None
    for position, (vendor, plan) in enumerate(plans.items()):
        trial = create_trial(session=session, plan=plan, actor=actor)
        assert trial.id is not None
        session.add(
            BakeoffTrial(bakeoff_id=row.id, trial_id=trial.id, vendor_key=vendor, position=position)
        )
        session.add(
            AuditEntry(
                trial_id=trial.id,
                actor=actor,
                action="bakeoff_joined",
                reason=f"vendor '{vendor}' of bake-off {bakeoff}",
            )
        )
    session.flush()
    return bakeoff_entries(session=session, bakeoff=bakeoff)


def get_bakeoff(*, session: Session, bakeoff: str) -> Bakeoff:
    """The bake-off with this id, or a NotFoundError that says how to start one."""
    row = session.exec(select(Bakeoff).where(Bakeoff.slug == bakeoff)).first()
    if row is None:
        raise NotFoundError(
            f"No bake-off '{bakeoff}' is stored. Start one with `trials bakeoff PLAN`; "
            "its id is the plan's `bakeoff:`."
        )
    return row


def is_bakeoff(*, session: Session, name: str) -> bool:
    """Whether `name` is the id of a stored bake-off."""
    return session.exec(select(Bakeoff.id).where(Bakeoff.slug == name)).first() is not None


def bakeoff_entries(*, session: Session, bakeoff: str) -> list[Entry]:
    """The bake-off's vendors in the plan's order, each with its trial's phase."""
    row = get_bakeoff(session=session, bakeoff=bakeoff)
    rows = session.exec(
        select(BakeoffTrial, Trial)
        .join(Trial, col(Trial.id) == col(BakeoffTrial.trial_id))
        .where(BakeoffTrial.bakeoff_id == row.id)
        .order_by(col(BakeoffTrial.position))
    ).all()
    entries = []
    for link, trial in rows:
        assert trial.id is not None
        plan = Plan.model_validate_json(trial.plan_json)
        entries.append(
            Entry(
                vendor=link.vendor_key,
                name=plan.vendor.name,
                slug=trial.slug,
                trial_id=trial.id,
                phase=Phase(trial.phase),
            )
        )
    return entries


def bakeoff_of(*, session: Session, slug: str) -> str | None:
    """The id of the bake-off trial `slug` takes part in, or None."""
    return session.exec(
        select(Bakeoff.slug)
        .join(BakeoffTrial, col(BakeoffTrial.bakeoff_id) == col(Bakeoff.id))
        .join(Trial, col(Trial.id) == col(BakeoffTrial.trial_id))
        .where(Trial.slug == slug)
    ).first()


def awaiting_selection(*, session: Session, slug: str) -> str | None:
    """The bake-off whose selection decides trial `slug`'s evaluation, while it has not
    selected; None for a trial of no bake-off, or once its bake-off selected."""
    bakeoff = bakeoff_of(session=session, slug=slug)
    if bakeoff is None or get_bakeoff(session=session, bakeoff=bakeoff).selected is not None:
        return None
    return bakeoff


def refuse_outside_selection(*, session: Session, slug: str) -> None:
    """Refuse deciding a bake-off trial's own evaluation while the bake-off has not selected:
    the selection decides every vendor's evaluation at once."""
    if (bakeoff := awaiting_selection(session=session, slug=slug)) is None:
        return
    raise TrialsError(
        f"Trial '{slug}' is a vendor of bake-off '{bakeoff}', whose selection decides every "
        f"vendor's evaluation at once: `trials decide {bakeoff} select VENDOR --reason TEXT` "
        "(or select none)."
    )


def selection_at(
    *, session: Session, bakeoff: str, today: date, settled: bool = False
) -> Selection:
    """The selection gate as the store stands: each vendor's evaluation on the shared
    ladder (engagement 1) while it waits there; with `settled`, every vendor's that climbed
    a rung, wherever its trial went since (for the report)."""
    row = get_bakeoff(session=session, bakeoff=bakeoff)
    contenders = []
    for entry in bakeoff_entries(session=session, bakeoff=bakeoff):
        contender = Contender(
            vendor=entry.vendor, name=entry.name, slug=entry.slug, phase=entry.phase
        )
        if entry.phase is Phase.EVALUATING or settled:
            facts = shared_ladder(session=session, contender=contender, trial_id=entry.trial_id)
            if entry.phase is Phase.EVALUATING or contender.rungs_done:
                contender.evaluation = evaluate(facts, today)
        contenders.append(contender)
    return select_among(bakeoff, row.currency, contenders)


def shared_ladder(*, session: Session, contender: Contender, trial_id: int) -> EvaluationFacts:
    """The facts of the contender's shared ladder (engagement 1, with its own cap and
    directives however far the trial went since); the rungs it finished, and their spend,
    noted on the contender."""
    facts = evaluation_facts(session=session, slug=contender.slug, engagement=1)
    contender.rungs_done = sum(rung.done for rung in facts.rungs)
    contender.spent_done = done_spend(session=session, trial_id=trial_id, engagement=1)
    return facts


def rescore_entrants(
    *, session: Session, bakeoff: str, today: date
) -> tuple[Bakeoff, list[tuple[Contender, EvaluationFacts | None]]]:
    """Each vendor as it stood at the selection gate, with the facts of its shared ladder
    (None before its first rung), for a what-if (`models.bakeoff_rescore`): a vendor whose
    exit followed from the selection stands at evaluation again; one that left the ladder
    before it stays out."""
    row = get_bakeoff(session=session, bakeoff=bakeoff)
    gate = selection_gate(bakeoff)
    decided = set(
        session.exec(select(Decision.trial_id).where(col(Decision.reason).startswith(f"{gate}:")))
    )
    entrants: list[tuple[Contender, EvaluationFacts | None]] = []
    for entry in bakeoff_entries(session=session, bakeoff=bakeoff):
        phase = Phase.EVALUATING if entry.trial_id in decided else entry.phase
        contender = Contender(vendor=entry.vendor, name=entry.name, slug=entry.slug, phase=phase)
        facts = shared_ladder(session=session, contender=contender, trial_id=entry.trial_id)
        if phase is not Phase.EVALUATING and not contender.rungs_done:
            entrants.append((contender, None))
            continue
        contender.evaluation = evaluate(facts, today)
        entrants.append((contender, facts))
    return row, entrants


def open_selection(*, session: Session, bakeoff: str, today: date) -> Selection:
    """The bake-off's selection gate now; a DuplicateError once a vendor was selected."""
    row = get_bakeoff(session=session, bakeoff=bakeoff)
    if row.selected is not None:
        raise _selected_already(row)
    return selection_at(session=session, bakeoff=bakeoff, today=today)


def record_selection(
    *,
    session: Session,
    selection: Selection,
    vendor: str,
    reason: str,
    decided_by: str,
) -> None:
    """Record the selection once, and the decision it makes at each evaluated vendor's
    evaluation gate (expand the selected, exit the others), for their runs to apply.

    Raises DuplicateError on a second selection, whoever made the first.
    """
    selection.check_answer(vendor)
    done = session.exec(
        update(Bakeoff)
        .where(col(Bakeoff.slug) == selection.bakeoff, col(Bakeoff.selected).is_(None))
        .values(
            selected=vendor, selected_by=decided_by, selected_reason=reason, selected_at=utcnow()
        )
    )
    if done.rowcount != 1:
        raise _selected_already(get_bakeoff(session=session, bakeoff=selection.bakeoff))
    outcome = selection.outcome(vendor)
    for contender in selection.contenders:
        if contender.slug not in outcome or contender.evaluation is None:
            continue
        evaluation = contender.evaluation
        add_decision(
            session=session,
            trial_id=evaluation.trial_id,
            gate=evaluation.gate,
            choice=outcome[contender.slug],
            recommendation=evaluation.recommendation.choice,
            reason=f"{selection.gate}: {vendor} selected by {decided_by}: {reason}",
            decided_by=decided_by,
            evidence=selection.evidence(),
        )
        session.add(
            AuditEntry(
                trial_id=evaluation.trial_id,
                actor=decided_by,
                action="decision_recorded",
                reason=f"{selection.gate}: {vendor} selected, so {outcome[contender.slug]}: "
                f"{reason}",
            )
        )
        set_waiting_for(
            session=session, slug=contender.slug, what=waiting_to_apply(evaluation.gate)
        )


def _selected_already(row: Bakeoff) -> DuplicateError:
    return DuplicateError(
        f"Bake-off '{row.slug}' was selected already: {row.selected} by {row.selected_by}. "
        f"A bake-off selects once; `trials bakeoff {row.slug}` carries its trials on."
    )
