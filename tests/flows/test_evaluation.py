"""Evaluation of a piloted trial: scorecard, budget, recommendation, the decision at the gate."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from prefect import get_client
from prefect.client.schemas.filters import (
    ArtifactCollectionFilter,
    ArtifactCollectionFilterKey,
)
from prefect.client.schemas.objects import ArtifactCollection
from prefect.events import Event
from prefect.events.filters import (
    EventFilter,
    EventNameFilter,
    EventOccurredFilter,
    EventResourceFilter,
)
from prefect.flow_runs import resume_flow_run
from sqlmodel import col, select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.evaluation import evaluation
from models.errors import TransitionError
from models.phases import Phase
from models.tables import CostEntry, Decision, Directive, Expectation, Measurement, PilotTask, Trial
from store.db import read_session, write_session
from store.phases import change_phase
from tests.flows.conftest import StoreTrial, paused_run

D = Decimal
RATES = {"engineer": D(95), "lead": D(140)}
START = datetime(2026, 11, 2, 9, tzinfo=UTC)
# rung: (submitted on day, delivered on day, hours worked by role); rung-1 is due in 5 days,
# rung-2 in 10, rung-3 in 21: one day late, one early, one late.
RUNS = {
    "rung-1": (0, 6, {"engineer": 6, "lead": 2}),
    "rung-2": (6, 15, {"engineer": 22, "lead": 4}),
    "rung-3": (15, 37, {"engineer": 74, "lead": 10}),
}
# metric: [(rung, value)], in the order measured; the latest counts.
MET = {
    "p90_first_response_minutes": [("rung-2", "35"), ("rung-3", "24")],
    "reopened_tickets_percent": [("rung-2", "3.8")],
    "p90_resolution_hours": [("rung-3", "7.5")],
    "csat_score": [("rung-3", "4.5")],
    "runbook_pages": [("rung-3", "12")],
}
SLOW_RESPONSE = {**MET, "p90_first_response_minutes": [("rung-2", "24"), ("rung-3", "34")]}
runner = CliRunner()


def piloted(settings: Settings, slug: str, metrics: dict[str, list[tuple[str, str]]]) -> None:
    """Three rungs accepted, measured and billed, one override; the trial waits in evaluation."""
    with write_session(settings) as session:
        for phase in (Phase.ONBOARDING, Phase.PILOTING, Phase.EVALUATING):
            change_phase(session=session, slug=slug, to=phase, actor="tester", reason="setup")
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
        rungs = {r.rung_key: r for r in session.exec(select(PilotTask))}
        for key, (start, end, hours) in RUNS.items():
            rung = rungs[key]
            rung.status, rung.vendor_ref = "accepted", f"wi-{key}"
            rung.submitted_at = START + timedelta(days=start)
            rung.completed_at = START + timedelta(days=end)
            for role, worked in hours.items():
                session.add(
                    CostEntry(
                        trial_id=trial.id,
                        pilot_task_id=rung.id,
                        kind="timesheet",
                        role=role,
                        hours=D(worked),
                        rate=RATES[role],
                        amount=D(worked) * RATES[role],
                        currency="USD",
                        incurred_on=rung.completed_at.date(),
                        idempotency_key=f"timesheet:{key}:{role}",
                    )
                )
        session.add(
            CostEntry(
                trial_id=trial.id,
                kind="invoice",
                amount=D("11930.00"),
                currency="USD",
                incurred_on=date(2026, 12, 9),
                idempotency_key="invoice:inv-1",
            )
        )
        expectations = {e.metric: e for e in session.exec(select(Expectation))}
        for metric, values in metrics.items():
            for n, (key, value) in enumerate(values):
                session.add(
                    Measurement(
                        trial_id=trial.id,
                        expectation_id=expectations[metric].id,
                        pilot_task_id=rungs[key].id,
                        value=D(value),
                        source=expectations[metric].source,
                        idempotency_key=f"metric:{metric}:{n}",
                        measured_at=rungs[key].completed_at,
                    )
                )
        for n, (text, area, kind) in enumerate(
            [
                ("Use Jira Service Management for the ticket queue", "tooling", "override"),
                ("Answer the finance team's tickets first", "priorities", "client"),
            ]
        ):
            session.add(
                Directive(
                    trial_id=trial.id,
                    text=text,
                    area=area,
                    classification=kind,
                    issued_by="it-lead",
                    idempotency_key=f"directive:{n}",
                    vendor_ref=f"dir-{n}",  # forwarded: the vendor has it
                )
            )


def stored(settings: Settings, slug: str) -> tuple[Trial, list[Decision], list[PilotTask]]:
    with read_session(settings) as session:
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
        decisions = session.exec(select(Decision).order_by(col(Decision.id))).all()
        rungs = session.exec(select(PilotTask).order_by(col(PilotTask.position))).all()
    return trial, list(decisions), list(rungs)


async def test_auto_takes_the_recommendation_with_its_evidence(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    piloted(settings, slug, MET)
    since = datetime.now(UTC)
    assert await evaluation(slug, decisions="auto") == "expand"
    trial, [decision], _ = stored(settings, slug)
    assert (trial.phase, trial.waiting_for) == ("expanding", None)
    assert (decision.gate, decision.choice, decision.recommendation, decision.decided_by) == (
        "evaluation:e1:1",
        "expand",
        "expand",
        "policy",
    )
    assert decision.reason.startswith("weighted score 100% (expand at 80%, exit below 60%)")
    evidence = json.loads(decision.evidence_json)
    assert D(evidence["score"]) == 1 and evidence["overrides_count"] == 1
    assert {k: D(v) for k, v in evidence["budget"].items() if k != "cost_performance"} == {
        "planned": D(11360),  # 850 + 2460 + 8050 from the rate card
        "earned": D(11360),
        "actual": D(11930),  # timesheets only: the invoice bills the same hours
        "forecast": D(11930),
        "variance": D(-570),
    }
    assert D(evidence["days_late"]) == 1 and len(evidence["schedule"]) == 3
    line = next(x for x in evidence["scorecard"] if x["id"] == "first-response")
    assert D(line["measured"]) == 24 and line["met"]  # the latest measurement counts
    card, budget = (
        await latest_artifact(f"scorecard-{slug}"),
        await latest_artifact(f"budget-{slug}"),
    )
    row = (
        "| first-response | p90_first_response_minutes | <= 30 minutes | 24.0 | "
        "vendor-reported | yes | 3 |"
    )
    assert row in str(card.data)
    assert budget.type == "table" and "11930.00" in str(budget.data)
    [event] = await recommended(slug, since)
    assert (event.payload["choice"], event.payload["score"]) == ("expand", "1.000")
    with pytest.raises(TransitionError, match="is expanding, not evaluating"):
        await evaluation(slug, decisions="auto")


async def test_extend_adds_a_repeat_of_the_last_rung_and_opens_the_next_gate(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    piloted(settings, slug, SLOW_RESPONSE)  # first response missed: score 70%
    assert await evaluation(slug, decisions="auto") == "extend"
    with write_session(settings) as session:  # the ladder climbs the extra rung, then stops
        change_phase(session=session, slug=slug, to=Phase.EVALUATING, actor="t", reason="done")
    assert await evaluation(slug, decisions="auto") == "extend"
    trial, decisions, rungs = stored(settings, slug)
    assert trial.phase == "piloting"
    assert [(d.gate, d.choice, d.reason[:24]) for d in decisions] == [
        ("evaluation:e1:1", "extend", "weighted score 70% (expa"),
        ("evaluation:e1:2", "extend", "weighted score 70% (expa"),
    ]
    assert [(r.rung_key, r.position, r.hours, r.estimate, r.status) for r in rungs[3:]] == [
        ("rung-3-x1", 3, D(80), D("8050.00"), "planned"),
        ("rung-3-x2", 4, D(80), D("8050.00"), "planned"),
    ]
    assert rungs[3].idempotency_key == f"{slug}:e1:rung-3-x1:work-item"


async def latest_artifact(key: str) -> ArtifactCollection:
    async with get_client() as client:
        [latest] = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(key=ArtifactCollectionFilterKey(any_=[key]))
        )
    return latest


async def recommended(slug: str, since: datetime) -> list[Event]:
    """The recommendation events about the trial since then, once Prefect has one."""
    query = EventFilter(
        event=EventNameFilter(name=["trials.evaluation.recommended"]),
        resource=EventResourceFilter(id=[f"trials.trial.{slug}"]),
        occurred=EventOccurredFilter(since=since, until=datetime.now(UTC) + timedelta(minutes=1)),
    )
    async with get_client() as client:
        for _ in range(50):
            events = (await client.read_events(filter=query, limit=10)).events
            if events:
                return events
            await asyncio.sleep(0.2)
    return []


async def test_ask_pauses_until_trials_decide_answers(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    piloted(settings, slug, MET)
    since = datetime.now(UTC)
    running = asyncio.create_task(evaluation(slug, decision_timeout=120))
    run = await paused_run(f"evaluation-{slug}", since)
    assert run.state is not None and run.state.state_details.pause_key == "evaluation-e1-1"
    trial, decisions, _ = stored(settings, slug)
    assert (trial.phase, trial.waiting_for, decisions) == (
        "evaluating",
        "decision at evaluation",
        [],
    )
    blank = {"choice": "exit", "reason": "  ", "decided_by": "x"}  # as the UI's form could send
    with pytest.raises(RuntimeError, match="Cannot resume"):
        await resume_flow_run(run.id, run_input=blank)
    answered = await asyncio.to_thread(
        runner.invoke,
        app,
        ["decide", slug, "exit", "--reason", "Cheaper to insource L2", "--by", "Dana Reyes"],
    )
    assert answered.exit_code == 0, answered.output
    assert f"Resumed evaluation-{slug}" in answered.stdout
    assert await asyncio.wait_for(running, 30) == "exit"
    trial, [decision], _ = stored(settings, slug)
    assert (trial.phase, trial.waiting_for) == ("exiting", None)
    assert (decision.choice, decision.recommendation, decision.decided_by, decision.reason) == (
        "exit",
        "expand",
        "Dana Reyes",
        "Cheaper to insource L2",
    )
    assert json.loads(decision.evidence_json)["recommendation"]["choice"] == "expand"


async def test_a_decision_with_no_run_waiting_is_applied_by_the_next_run(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    piloted(settings, slug, SLOW_RESPONSE)
    assert await evaluation(slug, decision_timeout=1) is None  # nobody answered in time
    trial, decisions, _ = stored(settings, slug)
    assert (trial.phase, trial.waiting_for, decisions) == (
        "evaluating",
        "decision at evaluation",
        [],
    )
    argv = ["decide", slug, "extend", "--reason", "One more month on L1", "--by", "Dana Reyes"]
    recorded = await asyncio.to_thread(runner.invoke, app, argv)
    assert recorded.exit_code == 0, recorded.output
    assert "No evaluation run is waiting" in recorded.stdout
    again = await asyncio.to_thread(runner.invoke, app, [*argv[:2], "exit", "--reason", "no"])
    assert again.exit_code == 1 and "decided at evaluation:e1:1 already" in again.output

    assert await asyncio.wait_for(evaluation(slug), 30) == "extend"  # no pause: decided
    trial, [decision], rungs = stored(settings, slug)
    assert (trial.phase, trial.waiting_for) == ("piloting", None)
    assert (decision.gate, decision.decided_by, decision.recommendation) == (
        "evaluation:e1:1",
        "Dana Reyes",
        "extend",
    )
    assert D(json.loads(decision.evidence_json)["score"]) == D("0.7")
    assert rungs[-1].rung_key == "rung-3-x1"
