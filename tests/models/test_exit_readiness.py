"""The exit rehearsal's rules: when a check passes, how failures read, and the score."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from adapters.contract import AccessGrant, ExportCheck, KnowledgeDocument
from models.errors import TransitionError
from models.exit_readiness import (
    Check,
    ReadinessCheck,
    Unanswered,
    check_rehearsal_phase,
    export_check,
    export_ref,
    grant_checks,
    kt_check,
    readiness,
    rehearsal,
)
from models.exit_rules import StepLine, StepStatus
from models.phases import Phase

NOW = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
SHA = "0" * 64


def grant(grant_id: str, revoked: bool = False) -> AccessGrant:
    return AccessGrant(
        id=grant_id,
        system="Active Directory",
        principal="svc-acme",
        scope="helpdesk-operator",
        granted_at=NOW - timedelta(days=30),
        revoked_at=NOW - timedelta(days=1) if revoked else None,
    )


def step(target: str | None, kind: str = "access_revocation", done: bool = False) -> StepLine:
    return StepLine(
        key=f"t:e1:exit:{kind}" + (f":{target}" if target else ""),
        kind=kind,
        target=target,
        status=StepStatus.DONE if done else StepStatus.PENDING,
        detail="",
    )


def preview(days: float) -> ExportCheck:
    return ExportCheck(
        trial="t",
        client_ref="t:e1:exit:data_return",
        format="zip",
        checked_at=NOW,
        ready_by=NOW + timedelta(days=days),
    )


DOCS = [KnowledgeDocument(id="kt-0001", trial="t", title="Escalation paths", size=9, sha256=SHA)]
DOWN = Unanswered(what="Vendor Acme, list access grants: cannot reach it", unavailable=True)


def by_target(checks: list[ReadinessCheck]) -> dict[str, ReadinessCheck]:
    return {c.target: c for c in checks}


def test_open_grants_on_the_exit_plan_are_revocable() -> None:
    checks = grant_checks([grant("ag-1"), grant("ag-2")], [step("ag-1"), step("ag-2")])
    assert [(c.check, c.target, c.passed) for c in checks] == [
        (Check.GRANTS_LISTED, "access grants", True),
        (Check.GRANT_REVOCABLE, "ag-1", True),
        (Check.GRANT_REVOCABLE, "ag-2", True),
    ]
    assert checks[0].detail == "the vendor lists 2 access grants, 2 of them open"


def test_a_grant_the_store_does_not_know_would_be_missed() -> None:
    checks = by_target(grant_checks([grant("ag-1"), grant("ag-9")], [step("ag-1")]))
    assert checks["ag-1"].passed and not checks["ag-9"].passed
    assert "no revocation step for it, so the exit would miss it" in checks["ag-9"].detail
    assert checks["ag-9"].detail.startswith("Active Directory (helpdesk-operator) for svc-acme")


def test_grants_revoked_outside_the_plan_or_gone_from_the_list_fail() -> None:
    checks = by_target(
        grant_checks(
            [grant("ag-1", revoked=True), grant("ag-2", revoked=True)],
            [step("ag-1"), step("ag-2", done=True), step("ag-3"), step("ag-4", done=True)],
        )
    )
    assert "already revoked at 2026-10-04 09:00 UTC, outside the exit plan" in (
        checks["ag-1"].detail
    )
    assert not checks["ag-1"].passed
    assert checks["ag-2"].passed  # the exit revoked and verified it
    assert not checks["ag-3"].passed and "no longer lists it" in checks["ag-3"].detail
    assert checks["ag-4"].passed  # revoked by the exit, then dropped from the list


def test_a_grant_open_again_after_the_exit_verified_it_fails() -> None:
    [_, check] = grant_checks([grant("ag-1")], [step("ag-1", done=True)])
    assert not check.passed and "lists it open again" in check.detail


def test_a_vendor_that_does_not_answer_is_a_failed_check_with_a_to_do() -> None:
    [check] = grant_checks(DOWN, [step("ag-1")])
    assert (check.check, check.passed) == (Check.GRANTS_LISTED, False)
    assert check.detail.startswith("the vendor did not list its access grants: Vendor Acme")
    assert "`trials check-vendor PLAN`" in check.detail
    refused = kt_check(Unanswered(what="HTTP 403: no", unavailable=False))
    assert "raise it with the vendor now" in refused.detail


def test_the_export_must_be_accepted_and_ready_within_the_notice() -> None:
    quick = export_check(preview(0.25), notice_days=14)
    assert quick.passed and quick.target == "data export"
    assert "accept a zip export (dry run, nothing prepared): ready in about 0.2 days" in (
        quick.detail
    )
    slow = export_check(preview(20), notice_days=14)
    assert not slow.passed and "after the 14-day notice period" in slow.detail
    refused = export_check(Unanswered(what="HTTP 409: after notice only", unavailable=False), 14)
    assert not refused.passed
    assert refused.detail.startswith("the vendor did not confirm a data export: HTTP 409")


def test_knowledge_documents_must_exist() -> None:
    assert kt_check(DOCS).passed and "lists 1 document: Escalation paths" in kt_check(DOCS).detail
    empty = kt_check([])
    assert not empty.passed and "hand over no knowledge" in empty.detail


def test_the_score_is_the_share_passed_rounded_down() -> None:
    result = rehearsal("t", [grant("ag-1")], [step("ag-1")], preview(1), DOCS, 14, NOW)
    assert (result.score, result.ready) == (Decimal("1.0000"), True)
    assert result.summary == "Exit of t is ready: all 4 checks passed (score 1.0)."
    passed = ReadinessCheck(check=Check.KT_DOCUMENTS, target="x", passed=True, detail="")
    failed = passed.model_copy(update={"passed": False})
    two_thirds = readiness("t", [passed, passed, failed], NOW)
    assert two_thirds.score == Decimal("0.6666") and not two_thirds.ready
    assert "NOT ready: 2 of 3 checks passed (score 0.67)" in two_thirds.summary
    almost = readiness("t", [passed] * 19999 + [failed], NOW)
    assert almost.score == Decimal("0.9999")  # never rounded up to ready


def test_the_export_request_is_the_one_the_exit_would_send() -> None:
    steps = [step(None, "knowledge_transfer"), step(None, "data_return"), step("ag-1")]
    assert export_ref("t", steps) == "t:e1:exit:data_return"
    assert export_ref("t", [step("ag-1")]) == "t:exit-rehearsal"


@pytest.mark.parametrize("phase", [Phase.DRAFT, Phase.CLOSED, Phase.ABORTED])
def test_nothing_to_rehearse_before_the_start_or_after_the_end(phase: Phase) -> None:
    with pytest.raises(TransitionError, match=f"Trial 't' is {phase}, so there is no exit"):
        check_rehearsal_phase("t", phase)


@pytest.mark.parametrize("phase", [Phase.ONBOARDING, Phase.PILOTING, Phase.EXITING])
def test_a_started_trial_can_be_rehearsed(phase: Phase) -> None:
    check_rehearsal_phase("t", phase)
