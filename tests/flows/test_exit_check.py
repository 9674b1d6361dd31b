"""The exit rehearsal against simulated vendors, as a flow and as `trials exit-check`: it
scores readiness, records each rehearsal, and changes nothing at the vendor."""

from __future__ import annotations

import asyncio
import socket
from decimal import Decimal

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactCollectionFilter, ArtifactCollectionFilterKey
from sqlmodel import func, select
from typer.testing import CliRunner, Result

from cli.exit_check import NOT_READY
from cli.main import app
from config import Settings
from flows.exit_check import exit_check, exit_checks
from flows.onboarding import onboarding
from models.errors import TransitionError
from models.exit_readiness import Check, ExitReadiness
from models.tables import ExitRehearsal, ExitStep, Trial, Vendor
from simulator.config import ProfileName
from store.db import read_session, write_session
from store.exits import latest_rehearsal
from tests.flows.conftest import StoreTrial
from tests.flows.test_exit import ledger, vendor_url

runner = CliRunner()


async def trials(*argv: str) -> Result:
    """`trials ARGV`, off the event loop the test's flows run on."""
    return await asyncio.to_thread(lambda: runner.invoke(app, list(argv)))


def rehearsals(settings: Settings) -> int:
    with read_session(settings) as session:
        return session.exec(select(func.count()).select_from(ExitRehearsal)).one()


def latest(settings: Settings, slug: str) -> ExitReadiness | None:
    with read_session(settings) as session:
        trial_id = session.exec(select(Trial.id).where(Trial.slug == slug)).one()
        assert trial_id is not None
        return latest_rehearsal(session=session, trial_id=trial_id)


def failed(result: ExitReadiness) -> dict[str, str]:
    return {f"{c.check}:{c.target}": c.detail for c in result.failed}


async def readiness_artifact(slug: str) -> str:
    async with get_client() as client:
        [artifact] = await client.read_latest_artifacts(
            artifact_filter=ArtifactCollectionFilter(
                key=ArtifactCollectionFilterKey(any_=[f"exit-readiness-{slug}"])
            )
        )
    return str(artifact.data)


async def test_a_reliable_vendor_is_ready_and_the_rehearsal_does_nothing_there(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial()
    await onboarding(slug, decisions="auto")
    base_url = vendor_url(settings, slug)
    before = ledger(base_url)

    result = await exit_check(slug)

    assert result.ready and result.score == Decimal(1), result.checks
    checks = [c.check for c in result.checks]
    assert checks.count(Check.GRANT_REVOCABLE) >= 2
    assert checks.count(Check.EXPORT_DRY_RUN) == checks.count(Check.KT_DOCUMENTS) == 1
    assert ledger(base_url) == before  # no export, no revocation, no key recorded
    assert before["effects"]["exports"] == before["effects"]["revocations"] == 0
    assert latest(settings, slug) == result
    assert "is ready: all" in await readiness_artifact(slug)


async def test_a_hostile_vendor_and_an_unrecorded_grant_lower_the_score(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(profile=ProfileName.HOSTILE_EXIT)
    await onboarding(slug, decisions="auto")
    with write_session(settings) as session:  # as if granted after onboarding, unrecorded
        unknown = session.exec(select(ExitStep).where(ExitStep.target.is_not(None))).first()  # type: ignore[union-attr]
        assert unknown is not None and unknown.target is not None
        session.delete(unknown)
    base_url = vendor_url(settings, slug)
    before = ledger(base_url)

    result = await exit_check(slug)

    assert not result.ready and Decimal(0) < result.score < Decimal(1)
    problems = failed(result)
    assert set(problems) == {"export_dry_run:data export", f"grant_revocable:{unknown.target}"}
    assert "termination notice" in problems["export_dry_run:data export"]
    assert "raise it with the vendor now" in problems["export_dry_run:data export"]
    assert "the exit would miss it" in problems[f"grant_revocable:{unknown.target}"]
    assert ledger(base_url) == before
    assert latest(settings, slug) == result
    assert "**NO**" in await readiness_artifact(slug)


async def test_the_weekly_run_rehearses_started_trials_only(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    started = stored_trial(slug="started-desk")
    await onboarding(started, decisions="auto")
    stored_trial(slug="draft-desk")

    assert await exit_checks() == {"rehearsed": 1, "ready": 1, "failed": 0}
    assert latest(settings, started) is not None and latest(settings, "draft-desk") is None
    with pytest.raises(TransitionError, match="is draft, so there is no exit to rehearse"):
        await exit_check("draft-desk")


async def test_the_command_prints_the_checks_and_exits_0_when_ready_4_when_not(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    ready = stored_trial(slug="ready-desk")
    hostile = stored_trial(profile=ProfileName.HOSTILE_EXIT, slug="hostile-desk")
    for slug in (ready, hostile):
        await onboarding(slug, decisions="auto")

    shown = await trials("exit-check", ready)
    assert shown.exit_code == 0, shown.output
    assert f"Exit rehearsal of {ready}" in shown.stdout and "grant_revocable" in shown.stdout
    assert f"Exit of {ready} is ready: all" in shown.stdout and "FAILED" not in shown.stdout

    refused = await trials("exit-check", hostile, "--json")
    assert refused.exit_code == NOT_READY == 4, refused.output
    assert '"check": "export_dry_run"' in refused.stdout and "termination notice" in refused.stdout
    assert rehearsals(settings) == 2
    assert "4 not ready" in (await trials("exit-check", "--help")).stdout


async def test_a_vendor_that_is_down_is_recorded_as_failed_checks(
    settings: Settings, stored_trial: StoreTrial, monkeypatch: pytest.MonkeyPatch
) -> None:
    slug = stored_trial()
    await onboarding(slug, decisions="auto")
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with write_session(settings) as session:
        session.exec(select(Vendor)).one().base_url = f"http://127.0.0.1:{closed}"
    monkeypatch.setenv("TRIALS_VENDOR_MAX_ATTEMPTS", "2")

    done = await trials("exit-check", slug)

    assert done.exit_code == NOT_READY, done.output
    assert "Traceback" not in done.output
    result = latest(settings, slug)
    assert result is not None and result.score == Decimal(0)
    assert [c.check for c in result.checks] == [
        Check.GRANTS_LISTED,
        Check.EXPORT_DRY_RUN,
        Check.KT_DOCUMENTS,
    ]
    assert all("cannot reach" in c.detail and "check-vendor" in c.detail for c in result.checks)


def test_an_unknown_or_unstarted_trial_is_refused_and_nothing_recorded(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    unknown = runner.invoke(app, ["exit-check", "no-such-trial"])
    assert unknown.exit_code == 1 and "Traceback" not in unknown.output
    message = unknown.output.strip()
    assert message.startswith("Error: No trial 'no-such-trial' in the store.")
    assert "`trials list` shows the trials there are" in message
    assert f"The store looked in is {settings.store_url}" in message and "\n" not in message

    draft = runner.invoke(app, ["exit-check", stored_trial()])
    assert draft.exit_code == 1 and "is draft, so there is no exit to rehearse" in draft.output
    assert "`trials run acme-helpdesk-2026q4`" in draft.output
    assert rehearsals(settings) == 0
