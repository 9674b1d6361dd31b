"""The monitor, run on a schedule: chase silent vendors, watch budgets and deadlines, and carry
on as far as they can go the trials with news."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from prefect import flow, get_run_logger

from flows.trial import trial
from models.monitor import News, Watch, escalations, news
from models.notify import ESCALATION_RAISED
from models.tables import utcnow
from tasks.directives import save_directive_answer, unanswered_directives
from tasks.monitor import (
    mark_escalations_announced,
    polled_changes,
    record_carried_on,
    record_escalations,
    require_prefect_api,
    start_for_news,
    unannounced_escalations,
    watch_trials,
)
from tasks.reporting import send_event
from tasks.vendor import read_directive

ADVANCE_MODES = ("deployment", "here", "none")


@flow(name="monitor", flow_run_name="monitor")
async def monitor(
    advance: str = "deployment",
    silent_after_hours: float = 48.0,
    wait_seconds: float = 60.0,
    poll_after_hours: float = 6.0,
) -> dict[str, int]:
    """Escalate what needs a person's attention, then carry on the trials with news.

    A trial is carried on only when something happened since the monitor last started a run
    for it (`models.monitor.news`): a webhook, a decision to apply, a deadline; a round in
    which nothing changed starts no run. One with no news for `poll_after_hours` is carried
    on anyway, so a vendor that sends no webhooks is still polled. `advance` is "deployment"
    (start each such trial's deployment, so workers do the work and this run ends at once),
    "here" (run each trial in this run, never pausing at a gate), or "none" (escalate only).
    A trial waiting for a person's decision is left to them. A vendor that sends no webhooks
    (Redmine) is asked what changed, one request per trial, and its trials with a change
    are carried on too. Each trial is recorded as carried on right after its start: a
    Prefect server that stops answering part-way fails the round with a TrialsError naming
    it (`tasks.monitor.start_for_news`), and the trials not started keep their news for the
    next round.
    """
    if advance not in ADVANCE_MODES:
        raise ValueError(f"advance={advance!r}: use one of {', '.join(ADVANCE_MODES)}")
    now = utcnow()  # before the read: what arrives while this round runs is the next's news
    watches = await watch_trials()
    silent_after, poll_after = (
        timedelta(hours=silent_after_hours),
        timedelta(hours=poll_after_hours),
    )
    raised = await escalate(watches, now, silent_after)
    await read_answers()
    found = {w.slug: why for w in watches if (why := news(w, now, silent_after, poll_after))}
    quiet = [w for w in watches if w.slug not in found and w.can_advance]
    found |= dict.fromkeys(await polled_changes(quiet), News.CHANGED)
    get_run_logger().info(
        "%d of %d active trials have news: %s",
        len(found),
        len(watches),
        dict(Counter(found.values())),
    )
    if advance == "none" or not found:
        return {"active": len(watches), "escalated": raised, "advanced": 0}
    for slug in found:  # each recorded once started: a round that stops keeps the rest's news
        if advance == "deployment":
            await start_for_news(slug)
        else:
            await _carry_here(slug, wait_seconds)
        await record_carried_on([slug], now)
    return {"active": len(watches), "escalated": raised, "advanced": len(found)}


async def escalate(watches: list[Watch], now: datetime, silent_after: timedelta) -> int:
    """Record the new escalations and announce the unannounced ones, once the Prefect server
    answers; how many were new."""
    raised = 0
    for watch in watches:
        if found := escalations(watch, now, silent_after):
            raised += await record_escalations(watch.trial_id, found)
    pending = await unannounced_escalations()
    if pending:  # an event emitted while the server is down is lost, yet marked announced
        await require_prefect_api(len(pending))
    for _, slug, escalation in pending:
        # sent, then marked: a kill between the two sends it again (at least once)
        await send_event(ESCALATION_RAISED, slug, escalation.model_dump(mode="json"))
    await mark_escalations_announced([row_id for row_id, _, _ in pending])
    return raised


async def read_answers() -> int:
    """Ask the vendors for their answers to open directives; a vendor down is asked next run."""
    answered = 0
    for directive in await unanswered_directives():
        # Prefect's stubs type an async task's state as not awaitable; it is.
        state = await read_directive(  # type: ignore[misc]
            directive.vendor, directive.vendor_ref, return_state=True
        )
        if state.is_completed():
            answered += await save_directive_answer(directive.key, await state.aresult())
    return answered


async def _carry_here(slug: str, wait_seconds: float) -> None:
    """Run the trial in this run; a trial that fails is logged, and the others go on."""
    try:
        await trial(slug, decisions="defer", wait_seconds=wait_seconds)
    except Exception as exc:  # one trial's failure must not stop the monitor
        get_run_logger().warning("Trial %s did not get further: %s", slug, exc)
