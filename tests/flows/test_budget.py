"""Budget control against an overrunning vendor: the cap gate, its three ways on, thresholds."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from decimal import Decimal as D
from uuid import UUID

import httpx
from prefect import get_client
from prefect.client.schemas.responses import SetStateStatus
from sqlmodel import col, select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.ladder import ladder
from flows.onboarding import onboarding
from flows.trial import trial
from models.cap import WAITING_FOR_CAP
from models.money import round_money
from models.tables import AuditEntry, BudgetAlert, CostEntry, Decision, PilotTask, Trial, Vendor
from simulator.config import ProfileName
from store.db import read_session
from tests.flows.conftest import StoreTrial, events_about, paused_run

runner = CliRunner()
THRESHOLD = "trials.budget.threshold"


def stored(settings: Settings, slug: str) -> tuple[Trial, list[PilotTask], list[Decision]]:
    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        rungs = session.exec(
            select(PilotTask).where(PilotTask.trial_id == row.id).order_by(col(PilotTask.position))
        ).all()
        decisions = session.exec(select(Decision).order_by(col(Decision.id))).all()
    return row, list(rungs), list(decisions)


def timesheets(settings: Settings) -> Decimal:
    with read_session(settings) as session:
        rows = session.exec(select(CostEntry.amount).where(CostEntry.kind == "timesheet")).all()
    return sum(rows, Decimal(0))


async def paused_at(run_id: UUID, key: str, timeout: float = 60) -> None:
    """Wait until the run is paused at the gate with this pause key."""
    deadline = asyncio.get_running_loop().time() + timeout
    async with get_client() as client:
        while True:
            run = await client.read_flow_run(run_id)
            if run.state and run.state.is_paused() and run.state.state_details.pause_key == key:
                return
            assert asyncio.get_running_loop().time() < deadline, run.state
            await asyncio.sleep(0.2)


def decide(*argv: str) -> tuple[int, str]:
    result = runner.invoke(app, ["decide", *argv])
    return result.exit_code, result.output


async def test_the_overrunner_stops_at_the_cap_then_climbs_on_a_raised_cap(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER)
    since = datetime.now(UTC)
    await onboarding(slug, decisions="auto")
    assert await ladder(slug, wait_seconds=30, decisions="defer") == "waiting"

    row, rungs, decisions = stored(settings, slug)
    assert (row.phase, row.waiting_for) == ("piloting", WAITING_FOR_CAP)
    assert [r.status for r in rungs] == ["accepted", "accepted", "planned"]
    assert rungs[2].vendor_ref is None  # the rung over the cap never reached the vendor
    assert [d.gate for d in decisions] == ["budget-approval:e1"]  # the cap's is pending
    # 1.4 times the estimate on rungs 1 and 2 (850 + 2,460): no threshold of 13,500 yet
    with read_session(settings) as session:
        assert session.exec(select(BudgetAlert)).all() == []

    # What rung 3 needs: the spend, plus its estimate at the cost performance so far.
    spent = timesheets(settings)
    needed = spent + (rungs[2].estimate * spent / (rungs[0].estimate + rungs[1].estimate))
    needed = needed.quantize(Decimal("0.01"))
    assert Decimal(15500) < needed < Decimal(16500)
    # Refused, each with nothing changed: no cap, a cap too low, a cap with another choice.
    assert decide(slug, "raise-cap", "--reason", "worth it") == (
        1,
        f"Error: raise-cap needs the new cap: add --cap AMOUNT, at least {needed} USD so that "
        "rung-3 can start.\n",
    )
    code, said = decide(slug, "raise-cap", "--cap", "15000", "--reason", "worth it")
    assert code == 1 and f"does not let rung-3 start: it needs at least {needed}" in said
    code, said = decide(slug, "rescope", "--cap", "17000", "--reason", "enough")
    assert code == 1 and "--cap goes with raise-cap only" in said
    code, said = decide(slug, "expand", "--reason", "great")
    assert code == 1 and "not a choice at the budget-cap gate" in said
    assert stored(settings, slug)[2] == decisions

    code, said = decide(
        slug, "raise-cap", "--cap", "16500", "--reason", "L1 cover is worth it", "--by", "Dana"
    )
    assert code == 0, said
    assert "recorded at budget-cap:e1:rung-3, and the next ladder run applies it" in said
    # Rung 3 climbs; delivered, it waits for the client's review of its satisfaction.
    assert await ladder(slug, wait_seconds=30, decisions="defer") == "waiting"
    reviewed = runner.invoke(app, ["review", slug, "satisfaction", "4.5", "--by", "Dana"])
    assert reviewed.exit_code == 0 and "No run waits at acceptance:e1:rung-3" in reviewed.output
    assert await ladder(slug, wait_seconds=30, decisions="defer") == "evaluating"

    row, rungs, decisions = stored(settings, slug)
    decisions = [d for d in decisions if d.gate.startswith("budget-cap")]
    assert row.budget_cap == Decimal("16500.00") and row.waiting_for is None
    assert [r.status for r in rungs][:2] == ["accepted", "accepted"]
    assert rungs[2].vendor_ref is not None  # climbed
    cap = decisions[-1]
    assert (cap.gate, cap.choice, cap.recommendation, cap.decided_by) == (
        "budget-cap:e1:rung-3",
        "raise-cap",
        "rescope",
        "Dana",
    )
    assert json.loads(cap.evidence_json)["new_cap"] == "16500.00"
    with read_session(settings) as session:
        raised = session.exec(select(AuditEntry).where(AuditEntry.action == "cap_raised")).one()
        alerts = session.exec(select(BudgetAlert).order_by(col(BudgetAlert.id))).all()
    assert raised.reason.startswith("cap 15,500.00 -> 16,500.00 USD: ")
    # rung 3 took the spend past 50%, 80% and 100% of the estimate, not the raised cap
    assert [a.key for a in alerts] == ["e1:estimate:50", "e1:estimate:80", "e1:estimate:100"]
    assert all(a.emitted_at is not None for a in alerts)

    assert await ladder(slug, wait_seconds=30) == "evaluating"  # a rerun announces nothing
    events = await events_about(THRESHOLD, slug, since, 4)
    assert sorted(e.payload["threshold"] for e in events) == [
        "e1:estimate:100",
        "e1:estimate:50",
        "e1:estimate:80",
    ]
    spent = {Decimal(e.payload["spent"]) for e in events}
    assert len(spent) == 1 and spent.pop() > Decimal("13500")


async def test_ask_pauses_at_the_cap_until_trials_decide_rescopes(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER)
    await onboarding(slug, decisions="auto")
    since = datetime.now(UTC)
    running = asyncio.create_task(ladder(slug, wait_seconds=30, decision_timeout=120))
    run = await paused_run(f"ladder-{slug}", since)
    assert run.state is not None
    assert run.state.state_details.pause_key == "budget-cap-e1-rung-3"
    # Called on the test's running event loop, as from any async code: the command still
    # resumes the run (Prefect's resume would otherwise hand back an unawaited coroutine).
    answered = runner.invoke(
        app, ["decide", slug, "rescope", "--reason", "judge the two rungs done"]
    )
    assert answered.exit_code == 0, answered.output
    assert f"Resumed ladder-{slug}" in answered.stdout
    assert await asyncio.wait_for(running, 30) == "evaluating"

    row, rungs, decisions = stored(settings, slug)
    assert (row.phase, row.waiting_for, row.budget_cap) == ("evaluating", None, Decimal("15500"))
    assert [r.status for r in rungs] == ["accepted", "accepted", "stopped"]
    assert rungs[2].vendor_ref is None
    assert (decisions[-1].choice, decisions[-1].reason) == ("rescope", "judge the two rungs done")
    with read_session(settings) as session:
        base = session.exec(select(Vendor.base_url)).one().rstrip("/")
    ledger = httpx.get(f"{base}/admin/ledger").json()
    assert ledger["effects"]["work_items"] == 2


async def test_the_cap_form_refuses_a_raise_that_would_not_let_the_rung_start(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER)
    await onboarding(slug, decisions="auto")
    since = datetime.now(UTC)
    running = asyncio.create_task(ladder(slug, wait_seconds=30, decision_timeout=120))
    run = await paused_run(f"ladder-{slug}", since)
    spent = timesheets(settings)
    rungs = stored(settings, slug)[1]
    needed = spent + (rungs[2].estimate * spent / (rungs[0].estimate + rungs[1].estimate))
    needed = needed.quantize(Decimal("0.01"))

    # What the UI's form sends on Submit, checked by the server against the form's schema.
    why = {"reason": "worth it", "decided_by": "Dana"}
    wrong = {
        "is a required property": {"choice": "raise-cap"},
        f"is less than the minimum of {float(needed)}": {
            "choice": "raise-cap",
            "new_cap": float(needed) - 0.01,
        },
        "is not of type 'null'": {"choice": "rescope", "new_cap": 17000},
    }
    async with get_client() as client:
        for refusal, answer in wrong.items():
            result = await client.resume_flow_run(run.id, run_input=answer | why)
            assert result.status is SetStateStatus.REJECT, answer
            assert result.details.reason is not None and refusal in result.details.reason
            still = await client.read_flow_run(run.id)
            assert still.state is not None and still.state.is_paused()
    assert not running.done()
    assert stored(settings, slug)[0].budget_cap == Decimal("15500")

    # The least cap is enough; `trials decide` sends it as the form would, and resumes.
    answered = await asyncio.to_thread(
        runner.invoke,
        app,
        ["decide", slug, "raise-cap", "--cap", str(needed), "--reason", "worth it"],
    )
    assert answered.exit_code == 0, answered.output
    assert f"Resumed ladder-{slug}" in answered.stdout
    # Rung 3 is delivered; the run pauses again for the client's review, and
    # `trials review` resumes it as the form would.
    await paused_at(run.id, "acceptance-e1-rung-3")
    reviewed = await asyncio.to_thread(
        runner.invoke, app, ["review", slug, "satisfaction", "4.5", "--by", "Dana"]
    )
    assert reviewed.exit_code == 0, reviewed.output
    assert f"Resumed ladder-{slug}" in reviewed.output
    assert await asyncio.wait_for(running, 60) == "evaluating"
    row, rungs, decisions = stored(settings, slug)
    assert row.budget_cap == needed and rungs[2].vendor_ref is not None
    [cap] = [d for d in decisions if d.gate == "budget-cap:e1:rung-3"]
    assert json.loads(cap.evidence_json)["new_cap"] == str(needed) and cap.value == needed
    [accepted] = [d for d in decisions if d.gate == "acceptance:e1:rung-3"]
    assert (accepted.choice, accepted.decided_by) == ("accept", "Dana")


async def test_exit_at_the_cap_runs_the_exit_plan(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.OVERRUNNER)
    assert await trial(slug, decisions="defer", wait_seconds=30) == "waiting"  # for approval
    assert decide(slug, "approve", "--reason", "covered")[0] == 0
    assert await trial(slug, decisions="defer", wait_seconds=30) == "waiting"  # at the cap
    assert stored(settings, slug)[0].waiting_for == WAITING_FOR_CAP
    code, said = decide(slug, "exit", "--reason", "the overrun is a pattern")
    assert code == 0, said
    assert await trial(slug, decisions="defer", wait_seconds=30) == "closed"
    row, rungs, decisions = stored(settings, slug)
    assert [r.status for r in rungs] == ["accepted", "accepted", "stopped"]
    assert [d.choice for d in decisions] == ["approve", "exit"]


def in_kuwaiti_dinar(text: str) -> str:
    """The helpdesk example priced in KWD, whose minor unit is the fils (3 places)."""
    for usd, kwd in [
        ("currency: USD", "currency: KWD"),
        ("engineer: 95", "engineer: 12.345"),
        ("lead: 140", "lead: 20.125"),
    ]:
        assert usd in text
        text = text.replace(usd, kwd)
    return text


async def test_a_trial_in_kuwaiti_dinar_is_billed_stored_and_reconciled_to_the_fils(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.RELIABLE, rewrite=in_kuwaiti_dinar)
    await onboarding(slug, decisions="auto")
    assert await ladder(slug, wait_seconds=30, decisions="auto") == "evaluating"

    with read_session(settings) as session:
        row = session.exec(select(Trial).where(Trial.slug == slug)).one()
        lines = session.exec(select(CostEntry).where(CostEntry.kind == "timesheet")).all()
        estimates = session.exec(select(PilotTask.estimate).order_by(col(PilotTask.position))).all()
    assert (row.currency, row.budget_estimate, row.budget_cap) == ("KWD", 13500, 15500)
    assert str(estimates[0]) == "114.320"  # rung-1: 6 h × 12.345 + 2 h × 20.125, as written
    assert {line.rate for line in lines} == {D("12.345"), D("20.125")}
    for line in lines:
        assert line.hours is not None and line.rate is not None
        assert line.amount == round_money(line.hours * line.rate, "KWD")
    assert any(line.amount != round_money(line.hours * line.rate, "USD") for line in lines)

    result = runner.invoke(app, ["budget", slug, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["currency"] == "KWD"
    assert report["flags"] == []  # it billed exactly at the rate card
    assert D(report["status"]["actual"]) == sum((line.amount for line in lines), D(0))
    shown = runner.invoke(app, ["budget", slug])
    assert "114.320" in shown.output
