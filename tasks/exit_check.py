"""The exit rehearsal's tasks: its reads at the vendor (each answered, or why not), its
store reads and writes, and the readiness report in the Prefect UI."""

from __future__ import annotations

from uuid import UUID

from prefect import task
from prefect.artifacts import acreate_markdown_artifact
from prefect.cache_policies import NO_CACHE

from adapters.answers import answered
from adapters.contract import AccessGrant, ExportCheck, ExportRequest, KnowledgeDocument
from models.context import VendorInfo
from models.exit_readiness import ExitReadiness, Unanswered, readiness_markdown
from store.db import read_session, write_session
from store.exits import record_rehearsal, rehearsable_trials
from tasks.connection import vendor_api

# The vendor reads are not retried by Prefect: the client already retries an unavailable
# vendor with backoff, and a rehearsal records a vendor that stays down as a failed check.
rehearsal_read = task(cache_policy=NO_CACHE)


@rehearsal_read
async def grants_held(vendor: VendorInfo, trial: str) -> list[AccessGrant] | Unanswered:
    """The access grants the vendor lists for the trial, or why it did not list them."""
    return await answered((await vendor_api(vendor)).access_grants(trial))


@rehearsal_read
async def dry_run_export(
    vendor: VendorInfo, trial: str, request: ExportRequest
) -> ExportCheck | Unanswered:
    """Dry-run the exit's export request: nothing is prepared or recorded at the vendor."""
    return await answered((await vendor_api(vendor)).check_export(trial, request))


@rehearsal_read
async def documents_listed(vendor: VendorInfo, trial: str) -> list[KnowledgeDocument] | Unanswered:
    """The trial's knowledge-transfer documents, or why the vendor did not list them."""
    return await answered((await vendor_api(vendor)).kt_documents(trial))


@task(cache_policy=NO_CACHE)
async def load_rehearsable() -> list[str]:
    """The trials whose exit can be rehearsed: started and not finished."""
    with read_session() as session:
        return rehearsable_trials(session=session)


@task(cache_policy=NO_CACHE)
async def save_rehearsal(trial_id: int, result: ExitReadiness) -> int:
    """Record the rehearsal and its checks; its row id."""
    with write_session() as session:
        return record_rehearsal(session=session, trial_id=trial_id, result=result)


@task(cache_policy=NO_CACHE)
async def publish_readiness(result: ExitReadiness) -> UUID:
    """The rehearsal as the markdown artifact `exit-readiness-<trial>`."""
    return await acreate_markdown_artifact(
        markdown=readiness_markdown(result),
        key=f"exit-readiness-{result.trial}",
        description=f"Exit readiness of {result.trial}: score {result.score:.2f}",
    )
