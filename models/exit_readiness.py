"""Pure rules of the exit rehearsal: the checks it makes, when each passes, the readiness
score, and the words a vendor manager reads.

The rehearsal reads what the exit would read (the vendor's access grants, a dry run of the
data export, the knowledge-transfer documents) and compares it with the exit plan in the
store. It changes nothing at the vendor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum
from typing import Annotated, Protocol

from pydantic import AfterValidator, BaseModel

from models.errors import TransitionError
from models.exit_rules import StepLine, StepStatus
from models.phases import Phase
from models.plan import ExitStepKind

# A draft has no grants recorded and nothing at the vendor yet; closed and aborted
# trials have no exit left to run.
NOTHING_TO_REHEARSE = {
    Phase.DRAFT: "it has not started: onboarding records the vendor's access grants, and "
    "until then there is no access, data or knowledge at the vendor to take back. Start it "
    "(`trials run {slug}`), then rehearse its exit",
    Phase.CLOSED: "its exit has run and been verified. `trials show {slug}` has the exit report",
    Phase.ABORTED: "it was aborted, and the exit plan does not run for an aborted trial. "
    "Take back any access it left by hand; `trials show {slug}` has the exit steps",
}


def _utc(moment: datetime) -> datetime:
    """SQLite hands back times without their zone; the store writes them all in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Check(StrEnum):
    """What the rehearsal checks."""

    GRANTS_LISTED = "grants_listed"  # the vendor lists the access it holds
    GRANT_REVOCABLE = "grant_revocable"  # one per grant: open, and on the exit plan
    EXPORT_DRY_RUN = "export_dry_run"  # the vendor would accept the exit's export request
    KT_DOCUMENTS = "kt_documents"  # the knowledge-transfer documents exist


class ReadinessCheck(BaseModel):
    """One check of a rehearsal: what was checked, on what, whether it passed, and why."""

    check: Check
    target: str
    passed: bool
    detail: str


class ExitReadiness(BaseModel):
    """A rehearsal of a trial's exit: every check, and the share of them that passed."""

    trial: str
    score: Decimal  # 0..1, four places, rounded down so that only all checks passed is 1
    checks: list[ReadinessCheck]
    rehearsed_at: Annotated[datetime, AfterValidator(_utc)]

    @property
    def ready(self) -> bool:
        """True when every check passed: the exit could run now."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[ReadinessCheck]:
        """The checks that did not pass."""
        return [c for c in self.checks if not c.passed]

    @property
    def summary(self) -> str:
        """One sentence: ready or not, and how many checks passed."""
        passed, total = len(self.checks) - len(self.failed), len(self.checks)
        if self.ready:
            return f"Exit of {self.trial} is ready: all {total} checks passed (score 1.0)."
        return (
            f"Exit of {self.trial} is NOT ready: {passed} of {total} checks passed "
            f"(score {self.score:.2f}). Fix what each failed check says, then rehearse again."
        )


class Unanswered(BaseModel):
    """A vendor read that failed: what happened, and whether the vendor was unreachable."""

    what: str
    unavailable: bool  # down, timing out or overloaded, rather than refusing


class HeldGrant(Protocol):
    """An access grant as the vendor lists it."""

    @property
    def id(self) -> str: ...

    @property
    def system(self) -> str: ...

    @property
    def principal(self) -> str: ...

    @property
    def scope(self) -> str: ...

    @property
    def revoked_at(self) -> datetime | None: ...


class ExportPreview(Protocol):
    """The vendor's answer to a dry run of an export request."""

    @property
    def format(self) -> str: ...

    @property
    def checked_at(self) -> datetime: ...

    @property
    def ready_by(self) -> datetime: ...


class Titled(Protocol):
    """A knowledge-transfer document as the vendor lists it."""

    @property
    def title(self) -> str: ...


def check_rehearsal_phase(slug: str, phase: Phase) -> None:
    """Refuse a rehearsal for a trial that has no exit to rehearse: draft, closed, aborted."""
    why = NOTHING_TO_REHEARSE.get(phase)
    if why is not None:
        raise TransitionError(
            f"Trial '{slug}' is {phase}, so there is no exit to rehearse: "
            f"{why.format(slug=slug)}. Nothing was checked or recorded."
        )


def export_ref(slug: str, steps: Sequence[StepLine]) -> str:
    """The client reference the exit's export request carries: its data-return step's key."""
    for step in steps:
        if step.kind == ExitStepKind.DATA_RETURN and step.target is None:
            return step.key
    return f"{slug}:exit-rehearsal"


def grant_checks(
    listed: Sequence[HeldGrant] | Unanswered, steps: Sequence[StepLine]
) -> list[ReadinessCheck]:
    """The grants listed, then one check per grant the vendor lists or the exit plan holds."""
    if isinstance(listed, Unanswered):
        return [_unanswered(Check.GRANTS_LISTED, "access grants", "list its access grants", listed)]
    open_ = sum(g.revoked_at is None for g in listed)
    checks = [
        ReadinessCheck(
            check=Check.GRANTS_LISTED,
            target="access grants",
            passed=True,
            detail=f"the vendor lists {_count(len(listed), 'access grant')}, {open_} of them open",
        )
    ]
    planned = {s.target: s for s in steps if s.kind == ExitStepKind.ACCESS_REVOCATION and s.target}
    checks += [_grant_check(grant, planned.get(grant.id)) for grant in listed]
    vanished = sorted(set(planned) - {g.id for g in listed})
    checks += [
        ReadinessCheck(
            check=Check.GRANT_REVOCABLE,
            target=grant_id,
            passed=planned[grant_id].status is StepStatus.DONE,
            detail=(
                "revoked and verified by the exit; the vendor no longer lists it"
                if planned[grant_id].status is StepStatus.DONE
                else "on the exit plan, but the vendor no longer lists it, so its revocation "
                "cannot be verified. To do: ask the vendor what became of it, and check the "
                "client system yourself"
            ),
        )
        for grant_id in vanished
    ]
    return checks


def _grant_check(grant: HeldGrant, step: StepLine | None) -> ReadinessCheck:
    """A listed grant is revocable when it is open and its revocation is on the exit plan."""
    what = f"{grant.system} ({grant.scope}) for {grant.principal}"
    done = step is not None and step.status is StepStatus.DONE
    if step is None:
        passed, detail = (
            False,
            (
                f"{what}: the exit plan has no revocation step for it, so the exit would miss it. "
                "To do: ask who granted this access after onboarding; the exit records every "
                "grant the vendor lists when its revocation step runs"
            ),
        )
    elif grant.revoked_at is None and not done:
        passed, detail = True, f"{what}: open, and its revocation is on the exit plan"
    elif grant.revoked_at is None:
        passed, detail = (
            False,
            (
                f"{what}: the exit verified it revoked, but the vendor lists it open again. "
                "To do: remove the access in the client system and ask the vendor why it is back"
            ),
        )
    elif done:
        passed, detail = True, f"{what}: revoked and verified by the exit"
    else:
        passed, detail = (
            False,
            (
                f"{what}: already revoked at {_utc(grant.revoked_at):%Y-%m-%d %H:%M} UTC, outside "
                "the exit plan. To do: ask the vendor who revoked it and why; the exit will read "
                "it back when its revocation step runs"
            ),
        )
    return ReadinessCheck(
        check=Check.GRANT_REVOCABLE, target=grant.id, passed=passed, detail=detail
    )


def export_check(answer: ExportPreview | Unanswered, notice_days: int) -> ReadinessCheck:
    """The data export would be accepted, and ready within the plan's notice period."""
    if isinstance(answer, Unanswered):
        return _unanswered(Check.EXPORT_DRY_RUN, "data export", "confirm a data export", answer)
    days = (_utc(answer.ready_by) - _utc(answer.checked_at)).total_seconds() / 86400
    when = f"ready in about {days:.1f} days (by {_utc(answer.ready_by):%Y-%m-%d %H:%M} UTC)"
    if days > notice_days:
        return ReadinessCheck(
            check=Check.EXPORT_DRY_RUN,
            target="data export",
            passed=False,
            detail=f"the vendor would accept a {answer.format} export, but it would be {when}, "
            f"after the {notice_days}-day notice period. To do: agree a faster export with the "
            "vendor, or a longer notice period in the plan",
        )
    return ReadinessCheck(
        check=Check.EXPORT_DRY_RUN,
        target="data export",
        passed=True,
        detail=f"the vendor would accept a {answer.format} export (dry run, nothing prepared): "
        f"{when}",
    )


def kt_check(listed: Sequence[Titled] | Unanswered) -> ReadinessCheck:
    """At least one knowledge-transfer document exists to hand over."""
    target = "knowledge documents"
    if isinstance(listed, Unanswered):
        return _unanswered(Check.KT_DOCUMENTS, target, "list its knowledge documents", listed)
    if not listed:
        return ReadinessCheck(
            check=Check.KT_DOCUMENTS,
            target=target,
            passed=False,
            detail="the vendor lists no knowledge-transfer documents: the exit would hand "
            "over no knowledge. To do: ask the vendor to publish its runbooks and "
            "documentation now, not at the exit",
        )
    titles = ", ".join(d.title for d in listed[:5]) + (", ..." if len(listed) > 5 else "")
    return ReadinessCheck(
        check=Check.KT_DOCUMENTS,
        target=target,
        passed=True,
        detail=f"the vendor lists {_count(len(listed), 'document')}: {titles}",
    )


def _count(n: int, noun: str) -> str:
    """`1 document`, `3 documents`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _unanswered(check: Check, target: str, call: str, answer: Unanswered) -> ReadinessCheck:
    """A failed check for a vendor read that failed, with what to do about it."""
    to_do = (
        "check that the vendor's API answers (`trials check-vendor PLAN`) and rehearse again; "
        "a vendor that is down at the exit cannot hand anything back"
        if answer.unavailable
        else "raise it with the vendor now: at the exit it must do this on request"
    )
    detail = f"the vendor did not {call}: {answer.what.rstrip('.')}. To do: {to_do}"
    return ReadinessCheck(check=check, target=target, passed=False, detail=detail)


def rehearsal(
    trial: str,
    grants: Sequence[HeldGrant] | Unanswered,
    steps: Sequence[StepLine],
    export: ExportPreview | Unanswered,
    documents: Sequence[Titled] | Unanswered,
    notice_days: int,
    at: datetime,
) -> ExitReadiness:
    """The whole rehearsal, from the vendor's answers and the exit plan in the store."""
    checks = [
        *grant_checks(grants, steps),
        export_check(export, notice_days),
        kt_check(documents),
    ]
    return readiness(trial, checks, at)


def readiness(trial: str, checks: list[ReadinessCheck], at: datetime) -> ExitReadiness:
    """The rehearsal's result: its checks and the share that passed, rounded down."""
    passed = sum(c.passed for c in checks)
    share = Decimal(passed) / Decimal(len(checks)) if checks else Decimal(0)
    score = share.quantize(Decimal("0.0001"), rounding=ROUND_DOWN)
    return ExitReadiness(trial=trial, score=score, checks=checks, rehearsed_at=at)


def readiness_markdown(result: ExitReadiness) -> str:
    """The rehearsal as markdown, for the Prefect UI."""
    lines = [f"# Exit readiness of {result.trial}", "", result.summary, ""]
    lines += [f"Rehearsed {result.rehearsed_at:%Y-%m-%d %H:%M} UTC; nothing was changed.", ""]
    lines += ["| check | target | passed | detail |", "|---|---|---|---|"]
    lines += [
        f"| {c.check} | {_cell(c.target)} | {'yes' if c.passed else '**NO**'} | {_cell(c.detail)} |"
        for c in result.checks
    ]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|") or "-"
