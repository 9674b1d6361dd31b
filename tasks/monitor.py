"""The monitor's steps: read the active trials, record what it finds, what it announced, start
the runs of the trials with news, and record which trials it carried on."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
from prefect import get_client, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.settings import PREFECT_API_URL

from adapters.errors import VendorError
from models.errors import TrialsError
from models.monitor import Escalation, Watch, can_advance
from store.db import read_session, write_session
from store.monitor import mark_announced, raise_escalations, unannounced
from store.watches import active_watches, carry_on_state, mark_carried_on
from tasks import deployments
from tasks.connection import vendor_api
from tasks.deployments import StartedRun


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
async def require_prefect_api(escalations: int) -> None:
    """Go on only if the Prefect server answers: the `escalations` events emitted while it
    is down are lost (Prefect's events worker drops what it cannot send), so they are
    announced only when it answers, and otherwise left unannounced for the next round.

    Raises TrialsError naming the server's URL and what to do.
    """
    async with get_client() as client:
        failure = await client.api_healthcheck()
    if failure is not None:
        raise TrialsError(
            f"The Prefect server at {PREFECT_API_URL.value()} does not answer "
            f"({type(failure).__name__}: {failure}). This monitor round stops before it "
            f"announces {escalations} escalation(s), which stay unannounced, and starts no "
            "run: every trial keeps its news. Start the server again (`trials server`), or "
            "set PREFECT_API_URL to the one that runs the flows: the next round does both."
        )


@task(cache_policy=NO_CACHE)
async def mark_escalations_announced(ids: list[int]) -> None:
    """Record that these escalations' events were handed to Prefect."""
    with write_session() as session:
        mark_announced(session=session, ids=ids)


@task(cache_policy=NO_CACHE)
async def can_carry_on(slug: str) -> bool:
    """Whether the store has the trial and a run can carry it on: started, not finished,
    and not waiting for a person."""
    with read_session() as session:
        found = carry_on_state(session=session, slug=slug)
    return found is not None and can_advance(*found)


@task(cache_policy=NO_CACHE)
async def start_for_news(slug: str) -> StartedRun:
    """Start the trial's deployment for its news, once however often it is asked
    (`tasks.deployments.start_trial_run`).

    Raises TrialsError naming the Prefect server's URL when the server does not answer
    (once Prefect's client has retried, about a minute with its default
    PREFECT_CLIENT_MAX_RETRIES of 5) or answers with an error: the round stops there, and
    the trial keeps its news for the next round, as do those the round had not reached.
    """
    try:
        return await deployments.start_trial_run(slug)
    except httpx.HTTPError as exc:
        raise TrialsError(server_down(slug, exc)) from None


def server_down(slug: str, exc: httpx.HTTPError) -> str:
    """What a round that could not start the trial's deployment tells the operator."""
    if isinstance(exc, httpx.HTTPStatusError):
        answer = f"answered the start of trial '{slug}' with {exc.response.status_code}"
    else:
        answer = f"did not answer the start of trial '{slug}' ({type(exc).__name__}: {exc})"
    return (
        f"The Prefect server at {PREFECT_API_URL.value()} {answer}. This monitor round stops "
        f"here: '{slug}' and the trials after it keep their news, and those started before "
        "it are recorded. Start the server again (`trials server`), or set PREFECT_API_URL "
        "to the one that runs the flows: the next round starts them (a run the server made "
        "before it stopped, still under way, is not started again)."
    )


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
