"""Expansion: engagement 2 opens once from the plan, and the exit plan carries forward."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import col, select

from config import Settings
from flows.evaluation import evaluation
from flows.expansion import expansion
from flows.trial import trial
from models.errors import PlanError, TransitionError
from models.evaluation import evaluate
from models.phases import Phase
from models.tables import (
    AuditEntry,
    Decision,
    ExitStep,
    Expectation,
    Measurement,
    PilotTask,
    Trial,
    VendorEffect,
)
from planfile import load_plan, require_valid
from store.db import read_session, write_session
from store.evaluation import evaluation_facts
from store.phases import change_phase
from store.trials import create_trial
from tests.conftest import VALID_PLAN
from tests.flows.conftest import StoreTrial

D = Decimal
TO_EXPANDING = (Phase.ONBOARDING, Phase.PILOTING, Phase.EVALUATING, Phase.EXPANDING)


def move(settings: Settings, slug: str, *phases: Phase) -> None:
    with write_session(settings) as session:
        for phase in phases:
            change_phase(session=session, slug=slug, to=phase, actor="tester", reason="setup")


def exit_steps(settings: Settings) -> list[tuple[str, int, str, str]]:
    with read_session(settings) as session:
        steps = session.exec(select(ExitStep).order_by(col(ExitStep.position))).all()
    return [(s.kind, s.position, s.status, s.idempotency_key) for s in steps]


async def test_expansion_opens_engagement_2_once(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    move(settings, slug, *TO_EXPANDING)
    steps = exit_steps(settings)
    await expansion(slug)
    await expansion(slug)  # a rerun does nothing twice
    with read_session(settings) as session:
        trial = session.exec(select(Trial)).one()
        rungs = session.exec(select(PilotTask).order_by(col(PilotTask.id))).all()
        expectations = session.exec(select(Expectation).where(Expectation.engagement == 2)).all()
        audit = session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()
    assert (trial.phase, trial.engagement) == ("piloting", 2)
    assert (trial.budget_estimate, trial.budget_contingency, trial.budget_cap) == (
        D(42000),
        D("0.12"),
        D(48000),
    )
    assert [(r.engagement, r.rung_key) for r in rungs[:3]] == [
        (1, "rung-1"),
        (1, "rung-2"),
        (1, "rung-3"),
    ]
    assert [(r.rung_key, r.position, r.hours, r.estimate, r.status) for r in rungs[3:]] == [
        ("office-rollout", 0, D(140), D("14200.00"), "planned"),  # 120 x 95 + 20 x 140
        ("l2-takeover", 1, D(230), D("23200.00"), "planned"),
    ]
    assert [r.idempotency_key for r in rungs[3:]] == [
        f"{slug}:e2:office-rollout:work-item",
        f"{slug}:e2:l2-takeover:work-item",
    ]
    assert sorted(e.key for e in expectations) == [
        "all-office-response",
        "all-office-satisfaction",
        "l2-resolution",
    ]
    assert exit_steps(settings) == steps  # the exit plan carries forward, untouched
    opened = [a for a in audit if a.action == "engagement_opened"]
    assert len(opened) == 1 and "the exit plan carries forward" in opened[0].reason
    assert [(a.from_phase, a.to_phase) for a in audit][-1] == ("expanding", "piloting")
    # The vendor acknowledged the larger engagement's expectations, once.
    with read_session(settings) as session:
        [acked] = session.exec(
            select(VendorEffect).where(col(VendorEffect.key).contains(":e2:"))
        ).all()
    assert (acked.key, acked.kind, acked.status) == (
        f"{slug}:e2:expanding:acknowledge",
        "acknowledge",
        "done",
    )
    sent = json.loads(acked.request_json)["expectations"]
    assert [(e["id"], e["target"]) for e in sent] == [
        ("all-office-response", "20"),
        ("l2-resolution", "24"),
        ("all-office-satisfaction", "4.3"),
    ]
    assert "3 expectations acknowledged" in audit[-1].reason


async def test_the_run_that_expands_climbs_the_larger_engagement_against_its_own_targets(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    assert await trial(slug, decisions="auto", wait_seconds=30) == "waiting"
    with read_session(settings) as session:
        row = session.exec(select(Trial)).one()
        climbed = session.exec(
            select(PilotTask.rung_key, PilotTask.status)
            .where(PilotTask.engagement == 2)
            .order_by(col(PilotTask.position))
        ).all()
        rollout = session.exec(
            select(PilotTask.status).where(PilotTask.rung_key == "office-rollout")
        ).one()
        target = session.exec(
            select(Expectation).where(Expectation.key == "all-office-response")
        ).one()
        measured = session.exec(
            select(Measurement.value).where(Measurement.expectation_id == target.id)
        ).all()
    # Measured against engagement 2's target (20 minutes), not the pilot's (30).
    assert rollout == "accepted"
    assert measured and all(value <= 20 for value in measured)
    assert list(climbed) == [("office-rollout", "accepted"), ("l2-takeover", "accepted")]
    # Engagement 2 scores 100%, but no engagement is left to open: auto leaves that to a person.
    assert (row.phase, row.engagement, row.waiting_for) == (
        "evaluating",
        2,
        "decision at evaluation",
    )
    assert await trial(slug, decisions="auto", wait_seconds=30) == "waiting"  # still, no loop
    with read_session(settings) as session:
        gates = session.exec(select(Decision.gate).order_by(col(Decision.id))).all()
    assert "evaluation:e2:1" not in gates and "evaluation:e1:1" in gates


async def test_engagement_2_is_evaluated_on_its_own_terms(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    move(settings, slug, *TO_EXPANDING)
    await expansion(slug)
    with write_session(settings) as session:
        trial = session.exec(select(Trial)).one()
        e1 = session.exec(select(Expectation).where(Expectation.key == "first-response")).one()
        e2 = session.exec(select(Expectation).where(Expectation.key == "all-office-response"))
        rollout = session.exec(select(PilotTask).where(PilotTask.rung_key == "office-rollout"))
        rung, expectation = rollout.one(), e2.one()
        rung.status = "accepted"
        # the same metric, measured later in the pilot's terms, must not count in engagement 2
        for n, (which, value) in enumerate([(expectation, "18"), (e1, "45")]):
            session.add(
                Measurement(
                    trial_id=trial.id,
                    expectation_id=which.id,
                    value=D(value),
                    source="vendor_metrics",
                    idempotency_key=f"m{n}",
                )
            )
    move(settings, slug, Phase.EVALUATING)
    # No third engagement to open: auto leaves it to a person; `trials decide` answers.
    assert await evaluation(slug, decisions="auto") is None
    with read_session(settings) as session:
        assessed = evaluate(evaluation_facts(session=session, slug=slug), date.today())
    assert assessed.gate == "evaluation:e2:1" and assessed.score == 1 and assessed.for_a_person
    assert assessed.cap == 48000 and assessed.budget.planned == D(37400)
    assert "but the plan has no expansion phase to open; add one to expand" in assessed.rationale
    with write_session(settings) as session:
        session.add(
            Decision(
                trial_id=session.exec(select(Trial.id)).one(),
                gate="evaluation:e2:1",
                choice="extend",
                recommendation="extend",
                reason="one more month",
                decided_by="Sam Ortiz",
            )
        )
    assert await evaluation(slug, decisions="auto") == "extend"
    with read_session(settings) as session:
        waiting = session.exec(select(Trial.waiting_for)).one()
    assert waiting is None


async def test_expansion_refuses_a_plan_without_one_and_a_trial_not_expanding(
    settings: Settings, prefect_api: None, write_plan
) -> None:  # type: ignore[no-untyped-def]
    plan = require_valid(load_plan(write_plan(VALID_PLAN), settings.policy))
    with write_session(settings) as session:
        create_trial(session=session, plan=plan, actor="tester")
    move(settings, plan.trial, *TO_EXPANDING[:2])
    with pytest.raises(TransitionError, match="is piloting, not expanding"):
        await expansion(plan.trial)
    move(settings, plan.trial, *TO_EXPANDING[2:])
    with pytest.raises(PlanError, match="has no expansion in its plan"):
        await expansion(plan.trial)
    with read_session(settings) as session:
        trial = session.exec(select(Trial)).one()
    assert (trial.phase, trial.engagement) == ("expanding", 1)
