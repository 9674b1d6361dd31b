"""Directives against the simulator over real sockets: the vendor's answers arrive by webhook
or by the monitor's poll, and an override-heavy trial shows its override index at evaluation."""

from __future__ import annotations

import asyncio
import json
import time

from pydantic import SecretStr
from sqlmodel import col, select
from typer.testing import CliRunner

from cli.main import app
from config import Settings
from flows.monitor import monitor
from flows.trial import trial
from models.tables import Decision, Directive, WebhookEvent
from simulator.config import ProfileName
from store.db import read_session
from tests.flows.conftest import StoreTrial
from tests.flows.test_evaluation import latest_artifact
from tests.webhooks.conftest import SECRET, serving
from webhooks.app import create_app

runner = CliRunner()
# (text, area, because): one tooling override the vendor pushes back on, then two each in
# staffing and implementation approach, where it complies the second time; one directive
# in the client's own area.
OVERRIDE_HEAVY = [
    ("Use Jira Service Management for the queue", "tooling", "group standard"),
    ("Keep two engineers on site in Leeds", "staffing", "the office asked for it"),
    ("Keep two engineers on site in Leeds, as instructed", "staffing", "we insist"),
    ("Escalate every ticket to L2 after one hour", "implementation approach", "audit"),
    ("Escalate to L2 after one hour, no exceptions", "implementation approach", "we insist"),
    ("Answer the finance team's tickets first", "priorities", ""),
]


async def give(slug: str, text: str, area: str, because: str = "") -> None:
    """`trials direct`, in a thread: the command runs its own event loop."""
    args = ["direct", slug, text, "--area", area, "--because", because]
    result = await asyncio.to_thread(runner.invoke, app, args)
    assert result.exit_code == 0, result.output


def directives(settings: Settings) -> list[Directive]:
    with read_session(settings) as session:
        return list(session.exec(select(Directive).order_by(col(Directive.id))))


async def answered(settings: Settings, count: int, within: float = 10.0) -> list[Directive]:
    """The directives once `count` of them have an answer recorded."""
    deadline = time.monotonic() + within
    rows = directives(settings)
    while sum(d.outcome is not None for d in rows) < count:
        assert time.monotonic() < deadline, [(d.area, d.outcome) for d in rows]
        await asyncio.sleep(0.1)
        rows = directives(settings)
    return rows


async def test_the_vendors_answer_arrives_by_signed_webhook(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    hooks = settings.model_copy(update={"webhook_secret": SecretStr(SECRET)})
    with serving(create_app(hooks)) as receiver:
        slug = stored_trial(
            seconds_per_day=0.5,
            webhook_url=f"{receiver}/webhooks/acme-managed-services",  # the vendor, as a slug
            webhook_secret=SECRET,
        )
        await give(slug, "Use Jira Service Management", "tooling", "group standard")
        await give(slug, "Answer the finance team's tickets first", "Priorities")
        first, second = await answered(settings, 2)
    assert (first.classification, first.outcome) == ("override", "pushed_back")
    assert "ours to decide" in (first.vendor_answer or "")
    assert (second.classification, second.outcome) == ("directive", "accepted")
    assert first.answered_at is not None and second.answered_at is not None
    with read_session(settings) as session:
        kinds = session.exec(select(WebhookEvent.type)).all()
    assert list(kinds).count("directive.answered") == 2


async def test_the_monitor_reads_answers_the_webhook_never_brought(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(seconds_per_day=0.5)  # no webhook URL: only the API can tell
    await give(slug, "Use Jira Service Management", "tooling", "group standard")
    await give(slug, "Use Jira Service Management, as we said", "tooling", "we insist")
    assert [d.outcome for d in directives(settings)] == [None, None]
    await asyncio.sleep(0.5)  # a simulated day: the vendor has answered both
    await monitor(advance="none")
    first, second = directives(settings)
    assert (first.outcome, second.outcome) == ("pushed_back", "accepted")
    assert "do it your way" in (second.vendor_answer or "")
    answered_at = second.answered_at
    await monitor(advance="none")  # nothing left to ask; nothing changes
    assert directives(settings)[1].answered_at == answered_at


async def test_an_override_heavy_trial_shows_the_index_and_is_not_blamed_on_the_vendor(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.RELIABLE)
    for text, area, because in OVERRIDE_HEAVY:
        await give(slug, text, area, because)
    await asyncio.sleep(0.1)  # half a simulated day: the vendor has answered them all
    await monitor(advance="none")
    assert [d.outcome for d in directives(settings)] == [
        "pushed_back",
        "pushed_back",
        "accepted",
        "pushed_back",
        "accepted",
        "accepted",
    ]

    # A reliable vendor, made to work the client's way, misses the targets that rest on
    # those areas; the recommendation says so, and extends rather than exits.
    await trial(slug, decisions="auto", wait_seconds=30)
    with read_session(settings) as session:
        first = session.exec(
            select(Decision).where(col(Decision.gate).startswith("evaluation"))
        ).first()
    assert first is not None
    assert (first.recommendation, first.choice) == ("extend", "extend")
    assert (
        "missed 'first-response' after the client overrode the vendor on 'staffing' 2 times"
        in first.reason
    )
    assert "missed 'reopen-rate' after the client overrode the vendor on 'implementation" in (
        first.reason
    )
    assert "not the vendor's own choices" in first.reason
    assert "extend rather than exit" in first.reason
    assert "the client overrode the vendor's areas 5 times (83% of 6)" in first.reason
    evidence = json.loads(first.evidence_json)["override_index"]
    assert (evidence["overrides"], evidence["accepted"], evidence["pushed_back"]) == (5, 2, 3)

    markdown = (await latest_artifact(f"scorecard-{slug}")).data
    assert isinstance(markdown, str)
    assert "## Override index" in markdown
    assert "**5 overrides** of the vendor's areas in 6 directives (83%)" in markdown
    assert "accepted 2, pushed back 3, unanswered 0" in markdown
    assert "| staffing | 2 | 1 | 1 | 0 | first-response |" in markdown
    assert "| implementation approach | 2 | 1 | 1 | 0 | reopen-rate |" in markdown
    assert "| tooling | 1 | 0 | 1 | 0 | - |" in markdown
    # The latest evaluation comes after the extension: the extra rung takes the forecast
    # over the cap, and an exit the budget forces is not softened by the overrides.
    assert "Recommendation: **exit**" in markdown and "cap 15,500.00)" in markdown
    assert "not the vendor's own choices" in markdown

    # The trial report lists every directive with its answer, and the override index.
    out = settings.data_dir / "out"
    written = runner.invoke(app, ["report", slug, "--out", str(out)])
    assert written.exit_code == 0, written.output
    report = (out / f"{slug}.md").read_text()
    section = report.split("## Directives and overrides")[1].split("## Decisions")[0]
    assert section.count("| override |") == 5 and section.count("| directive |") == 1
    assert section.count("| pushed_back: ") == 3 and section.count("| accepted: ") == 3
    assert "Override index: 5 of 6 directives entered the vendor's areas (83%)" in report
    assert "missed `reopen-rate` after the client overrode the vendor on implementation" in report
