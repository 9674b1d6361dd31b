"""Expectations computed from delivered files, as the ladder climbs: a value with the files'
checksums as its evidence, or no value and a reason a person can read."""

from __future__ import annotations

import httpx
from sqlmodel import col, select

from config import Settings
from flows.ladder import ladder
from flows.onboarding import onboarding
from models.evidence import Evidence
from models.tables import AuditEntry, Measurement, PilotTask, StoredFile, Trial, Vendor
from simulator.config import ProfileName
from store.db import read_session
from store.deliverables import PROBLEM, unmeasured_reasons
from store.ladder import RungView
from tasks.deliverables import measure_deliverables, record_deliverables
from tasks.trial_state import load_trial
from tests.flows.conftest import StoreTrial


def deliverables_measured(settings: Settings) -> list[tuple[str, Measurement]]:
    with read_session(settings) as session:
        rows = session.exec(
            select(PilotTask.rung_key, Measurement)
            .join(PilotTask, col(PilotTask.id) == Measurement.pilot_task_id)
            .where(Measurement.source == "deliverables")
            .order_by(col(PilotTask.position))
        ).all()
    return [(rung, row) for rung, row in rows]


def problems(settings: Settings) -> list[str]:
    with read_session(settings) as session:
        return list(
            session.exec(
                select(AuditEntry.reason)
                .where(AuditEntry.action == PROBLEM)
                .order_by(col(AuditEntry.id))
            ).all()
        )


def reasons(settings: Settings, slug: str) -> dict[str, list[str]]:
    with read_session(settings) as session:
        trial = session.exec(select(Trial).where(Trial.slug == slug)).one()
        assert trial.id is not None
        return unmeasured_reasons(session=session, trial_id=trial.id, engagement=1)


async def test_each_delivered_rung_measures_the_runbooks_from_the_archived_files(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.RELIABLE)
    await onboarding(slug, decisions="auto")
    await ladder(slug, wait_seconds=30, decisions="auto")
    measured = deliverables_measured(settings)
    # About four manuscript pages per runbook, counted over every rung delivered so far.
    assert [(rung, int(m.value)) for rung, m in measured] == [
        ("rung-1", 4),
        ("rung-2", 8),
        ("rung-3", 12),
    ]
    with read_session(settings) as session:
        archived = {
            f.name: f
            for f in session.exec(select(StoredFile).where(StoredFile.kind == "deliverable"))
        }
    last = measured[-1][1]
    evidence = Evidence.model_validate_json(last.evidence_json)
    assert last.produced_by == "the archive" and evidence.produced_by == "the archive"
    assert evidence.source == "deliverables" and evidence.rung == "rung-3"
    assert len(evidence.files) == 3
    for file in evidence.files:
        assert file.name.startswith("runbooks/") and file.name.endswith(".md")
        assert (file.sha256, file.size) == (archived[file.name].sha256, archived[file.name].size)
    assert "12 pages (4 + 4 + 4" in evidence.note
    assert len(archived) > 3  # the reports and handover notes are archived, and not counted
    assert problems(settings) == [] and reasons(settings, slug) == {}


async def test_a_file_changed_in_the_archive_leaves_the_expectation_unmeasured(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(ProfileName.RELIABLE, seconds_per_day=1.0)
    await onboarding(slug, decisions="auto")
    with read_session(settings) as session:
        base = session.exec(select(Vendor.base_url)).one().rstrip("/")

    async def next_rung() -> None:
        httpx.post(f"{base}/admin/clock/advance", params={"days": 10}).raise_for_status()
        assert await ladder(slug, wait_seconds=0.2) == "waiting"

    assert await ladder(slug, wait_seconds=0.2) == "waiting"
    await next_rung()  # rung-1 delivered and measured; rung-2 sent
    assert [(rung, int(m.value)) for rung, m in deliverables_measured(settings)] == [("rung-1", 4)]
    with read_session(settings) as session:
        runbook = session.exec(
            select(StoredFile).where(col(StoredFile.name).startswith("runbooks/"))
        ).one()
    (settings.data_dir / runbook.path).write_text("# Runbook\n\nRewritten after delivery.\n")

    await next_rung()  # rung-2 delivered: its value would use rung-1's changed runbook
    assert [rung for rung, _ in deliverables_measured(settings)] == ["rung-1"]  # no value
    [reason] = problems(settings)
    assert reason.startswith(
        "expectation 'runbooks' at rung-2 is not measured: pages of runbooks/*.md: "
        f"the archived copy of {runbook.name} (delivered at rung-1) no longer matches its "
        f"sha256 {runbook.sha256}"
    )
    assert f"Fix: restore {runbook.path} from a backup" in reason
    assert reasons(settings, slug) == {"runbooks": [reason]}

    # Computing the rung again (a rerun after a crash) records the problem once.
    trial = await load_trial(slug)
    with read_session(settings) as session:
        row = session.exec(select(PilotTask).where(PilotTask.rung_key == "rung-2")).one()
        rung_2 = RungView.model_validate(row, from_attributes=True)
    await record_deliverables(trial, rung_2, await measure_deliverables(trial, rung_2), None)
    assert problems(settings) == [reason]


async def test_a_rule_that_matches_no_delivered_file_records_no_zero(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    slug = stored_trial(
        ProfileName.RELIABLE,
        rewrite=lambda text: text.replace('{pages: "runbooks/*.md"}', '{pages: "manuals/*.pdf"}'),
    )
    await onboarding(slug, decisions="auto")
    await ladder(slug, wait_seconds=30, decisions="auto")
    assert deliverables_measured(settings) == []
    found = problems(settings)
    assert [r.split(" is not measured")[0] for r in found] == [
        "expectation 'runbooks' at rung-1",
        "expectation 'runbooks' at rung-2",
        "expectation 'runbooks' at rung-3",
    ]
    assert (
        "pages of manuals/*.pdf: no delivered file matches 'manuals/*.pdf' (archived so far: "
        in (found[-1])
    )
    assert "runbooks/" in found[-1] and "Fix: correct the pattern" in found[-1]
    assert reasons(settings, slug) == {"runbooks": [found[-1]]}
