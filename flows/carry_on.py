"""Carrying a trial on when its vendor's webhook arrives or a person's decision is recorded:
the deployment prefect.yaml triggers on the `trials.vendor.*` and `trials.decision.recorded`
events, so news is acted on at once, not at the monitor's next round."""

from __future__ import annotations

from prefect import flow, get_run_logger

from models.tables import utcnow
from tasks.deployments import carry_on
from tasks.monitor import can_carry_on, record_carried_on


@flow(name="carry-on", flow_run_name="carry-on-{slug}")
async def carry_on_trial(slug: str) -> str:
    """Start the trial's deployment for news from its vendor, or a decision to apply; what
    was done, in words.

    Nothing is started for a trial the store does not have, one that is finished or not
    started, or one waiting for a person. A run of the trial under way is left to go on:
    the news stays news for the monitor (`models.monitor.news`), which starts a run for it
    once none is under way. A start is recorded as the monitor records its own, so the
    monitor's next round does not start the trial again for the same news.
    """
    now = utcnow()  # before the start: what arrives after it is the next news
    if not await can_carry_on(slug):
        get_run_logger().info("%s: unknown, finished or waiting for a person; not started", slug)
        return "not started"
    started = await carry_on(slug)
    if started.under_way:
        return f"{started.name} is under way already"
    await record_carried_on([slug], now)
    return f"started {started.name}"
