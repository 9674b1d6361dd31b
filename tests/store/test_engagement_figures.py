"""A past engagement's figures stay its own after the next one opens: a bake-off's shared
ladder, read again once the selected vendor expanded, keeps the cap a person raised in it,
counts only its own directives, and costs a rung by the rungs finished."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlmodel import Session, col, select

from config import Settings
from models.directives import classify
from models.money import money
from models.phases import Phase
from models.plan import Plan
from models.tables import CostEntry, PilotTask
from planfile.bakeoff import load_bakeoff
from reports.bakeoff import gather_bakeoff, render_bakeoff
from store import migrate
from store.bakeoffs import rescore_entrants, store_bakeoff
from store.budget import apply_cap_decision, budget_facts, raise_cap
from store.db import read_session, write_session
from store.decisions import add_decision, open_expansion
from store.directives import record_directive, record_forwarded
from store.evaluation import evaluation_facts
from store.ladder import set_rung_status
from store.phases import change_phase
from store.trials import get_trial
from tests.conftest import EXAMPLES

BAKEOFF = "helpdesk-2027q1"
ACME = f"{BAKEOFF}-acme"
RAISED = Decimal(19000)  # engagement 1's cap after the raise; the plan's is 15,500
E2_CAP = Decimal(50000)  # engagement 2's, raised too; the plan's is 48,000
TODAY = date(2027, 3, 1)


def rungs(session: Session, engagement: int) -> list[PilotTask]:
    trial = get_trial(session=session, slug=ACME)
    return list(
        session.exec(
            select(PilotTask)
            .where(PilotTask.trial_id == trial.id, PilotTask.engagement == engagement)
            .order_by(col(PilotTask.position))
        )
    )


def work(session: Session, rung: PilotTask, status: str, amount: str) -> None:
    """The vendor takes the rung to `status`, booking `amount` of timesheets on it."""
    assert rung.id is not None
    set_rung_status(session=session, rung_id=rung.id, status="submitted", vendor_ref=f"w-{rung.id}")
    if status != "submitted":
        set_rung_status(session=session, rung_id=rung.id, status="delivered")
        set_rung_status(session=session, rung_id=rung.id, status=status)
    session.add(
        CostEntry(
            trial_id=rung.trial_id,
            pilot_task_id=rung.id,
            kind="timesheet",
            role="engineer",
            hours=Decimal(1),
            rate=Decimal(amount),
            amount=Decimal(amount),
            currency="USD",
            vendor_ref=f"ts-{rung.id}",
            incurred_on=TODAY,
            idempotency_key=f"test:{rung.idempotency_key}:timesheet",
        )
    )


def direct(session: Session, key: str, area: str) -> None:
    """The client gives acme a directive in `area`, and the vendor has it."""
    trial = get_trial(session=session, slug=ACME)
    assert trial.id is not None
    plan = Plan.model_validate_json(trial.plan_json)
    instruction = classify(ACME, f"do it so ({key})", area, "we must", plan.authority)
    record_directive(
        session=session,
        trial_id=trial.id,
        key=key,
        instruction=instruction,
        issued_by="Dana",
        request_json="{}",
    )
    record_forwarded(session=session, key=key, vendor_ref=f"d-{key}", response_json="{}")


def to(session: Session, *phases: Phase) -> None:
    for phase in phases:
        assert change_phase(session=session, slug=ACME, to=phase, actor="t", reason="t")


@pytest.fixture
def expanded(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The example bake-off stored; acme climbed its shared ladder (two rungs accepted, the
    third in progress), its cap raised at the cap gate, two directives given (one an
    override); then acme expanded, its new cap raised too, and two overrides given in it."""
    for variable in ("ACME_API_TOKEN", "BRIGHTDESK_API_TOKEN", "NORTHWIND_API_TOKEN"):
        monkeypatch.setenv(variable, "t")
    plans = load_bakeoff(EXAMPLES / "bakeoffs" / "helpdesk.yaml", settings.policy).plans()
    with write_session(settings) as session:
        store_bakeoff(session=session, bakeoff=BAKEOFF, title="t", plans=plans, actor="t")
        to(session, Phase.ONBOARDING, Phase.PILOTING)
    with write_session(settings) as session:
        first, second, third = rungs(session, 1)
        work(session, first, "accepted", "1000")
        work(session, second, "accepted", "3000")
        work(session, third, "submitted", "2500")  # in progress: no rung done yet
        direct(session, "e1-override", "tooling")  # the vendor's area
        direct(session, "e1-priority", "priorities")  # the client's
        trial = get_trial(session=session, slug=ACME)
        assert trial.id is not None
        gate = "budget-cap:e1:rung-3"
        add_decision(
            session=session,
            trial_id=trial.id,
            gate=gate,
            choice="raise-cap",
            recommendation=None,
            reason="worth it",
            decided_by="Dana",
            evidence={"new_cap": str(RAISED)},
        )
        apply_cap_decision(session=session, slug=ACME, gate=gate, rung_id=third.id or 0, actor="t")
    with write_session(settings) as session:
        to(session, Phase.EVALUATING, Phase.EXPANDING)
        open_expansion(session=session, slug=ACME, actor="t")
        to(session, Phase.PILOTING)
    with write_session(settings) as session:
        raise_cap(session=session, slug=ACME, new_cap=E2_CAP, actor="t", reason="bigger")
        work(session, rungs(session, 2)[0], "accepted", "9000")
        direct(session, "e2-override-1", "staffing")
        direct(session, "e2-override-2", "implementation approach")
    return settings


def test_the_bakeoff_report_reads_the_shared_ladder_as_it_stood(expanded: Settings) -> None:
    with read_session(expanded) as session:
        report = gather_bakeoff(session=session, bakeoff=BAKEOFF)
    acme = report.selection.contender("acme")
    assert acme.evaluation is not None
    assert (acme.evaluation.cap, report.budgets["acme"].cap) == (RAISED, RAISED)
    assert report.budgets["acme"].estimate == Decimal(13500)  # engagement 1's, not 42,000
    index = acme.evaluation.override_index
    assert (index.directives, index.overrides) == (2, 1)  # engagement 1's, not 2's three
    assert [o.text for o in acme.evaluation.overrides] == ["do it so (e1-override)"]
    # The engagement's spend counts the rung in progress; a finished rung's cost does not.
    assert acme.evaluation.budget.actual == Decimal(6500)
    assert (acme.rungs_done, acme.spent_done) == (2, Decimal(4000))
    assert acme.cost_per_rung == Decimal("2000.00")  # not 6,500 / 2 = 3,250
    markdown = render_bakeoff(report).markdown
    assert f"cap {money(RAISED, 'USD')}" in markdown
    assert "| 2,000.00 |" in markdown  # the vendor's cost per rung done


def test_the_rescore_reads_the_shared_ladder_as_it_stood(expanded: Settings) -> None:
    with read_session(expanded) as session:
        _, entrants = rescore_entrants(session=session, bakeoff=BAKEOFF, today=TODAY)
    [(contender, facts)] = [(c, f) for c, f in entrants if c.vendor == "acme"]
    assert facts is not None and facts.engagement == 1
    assert (facts.cap, facts.directives, len(facts.overrides)) == (RAISED, 2, 1)
    assert contender.cost_per_rung == Decimal("2000.00")


def test_the_current_engagement_keeps_its_own_figures(expanded: Settings) -> None:
    with read_session(expanded) as session:
        facts = evaluation_facts(session=session, slug=ACME)
        budget = budget_facts(session=session, slug=ACME)
    assert (facts.engagement, facts.cap, budget.cap) == (2, E2_CAP, E2_CAP)
    assert budget.estimate == Decimal(42000)
    assert (facts.directives, len(facts.overrides)) == (2, 2)  # engagement 1's left out
    assert facts.actual == Decimal(9000)


def test_a_store_expanded_before_0012_gets_engagement_1s_raised_cap_back(
    expanded: Settings,
) -> None:
    """0012 rebuilds engagement 1's budget from the plan and the raise-cap decisions at its
    cap gates, and dates each directive to its engagement by the expansion's audit entry."""
    migrate.downgrade("0011", expanded)
    migrate.upgrade("head", expanded)
    with read_session(expanded) as session:
        first = evaluation_facts(session=session, slug=ACME, engagement=1)
        budget = budget_facts(session=session, slug=ACME, engagement=1)
        now = evaluation_facts(session=session, slug=ACME)
    assert (first.cap, budget.cap, budget.estimate) == (RAISED, RAISED, Decimal(13500))
    assert (first.directives, len(first.overrides)) == (2, 1)
    assert (now.cap, now.directives, len(now.overrides)) == (E2_CAP, 2, 2)
