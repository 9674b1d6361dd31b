"""The monitor's steps: read the active trials, record what it finds, what it announced, and
which trials it carried on."""

from __future__ import annotations

import asyncio
from datetime import datetime

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from adapters.errors import VendorError
from models.monitor import Escalation, Watch
from store.db import read_session, write_session
from store.monitor import mark_announced, raise_escalations, unannounced
from store.watches import active_watches, mark_carried_on
from tasks.connection import vendor_api


@task(cache_policy=NO_CACHE)
async def watch_trials() -> list[Watch]:
    """Every started, unfinished trial, with what the monitor's rules look at."""
    with read_session() as session:
        return active_watches(session=session)


@task(cache_policy=NO_CACHE)
async def record_escalations(trial_id: int, found: list[Escalation]) -> int:
    """Record the new escalations with a note on the trial; how many were new."""
    with write_session() as session:
        return raise_escalations(session=session, trial_id=trial_id, found=found)


@task(cache_policy=NO_CACHE)
async def unannounced_escalations() -> list[tuple[int, str, Escalation]]:
    """The escalations whose event was not emitted yet: id, trial and escalation."""
    with read_session() as session:
        return unannounced(session=session)


@task(cache_policy=NO_CACHE)
async def mark_escalations_announced(ids: list[int]) -> None:
    """Record that these escalations' events were handed to Prefect."""
    with write_session() as session:
        mark_announced(session=session, ids=ids)


@task(cache_policy=NO_CACHE)
async def record_carried_on(slugs: list[str], at: datetime) -> None:
    """Record that the monitor started a run for these trials: their news is now what
    comes after `at`."""
    with write_session() as session:
        mark_carried_on(session=session, slugs=slugs, at=at)


@task(cache_policy=NO_CACHE)
async def polled_changes(watches: list[Watch]) -> list[str]:
    """The trials among `watches` whose vendor, one that sends no webhooks, shows a change
    since the monitor last carried the trial on: one request per trial, sent at once, each
    vendor's requests bounded by its concurrency limit. A vendor that does not answer is
    logged and asked again next round."""
    asked = [w for w in watches if w.polled is not None and w.carried_on_at is not None]

    async def changed(watch: Watch) -> bool:
        assert watch.polled is not None and watch.carried_on_at is not None
        try:
            api = await vendor_api(watch.polled)
            return await api.changed_since(watch.slug, watch.carried_on_at)
        except VendorError as exc:
            get_run_logger().warning("%s: no answer to the poll: %s", watch.slug, exc)
            return False

    answers = await asyncio.gather(*(changed(w) for w in asked))
    return [w.slug for w, yes in zip(asked, answers, strict=True) if yes]
