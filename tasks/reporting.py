"""What the Prefect UI shows: progress artifacts and the project's events."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from prefect import task
from prefect.artifacts import acreate_progress_artifact, aupdate_progress_artifact
from prefect.cache_policies import NO_CACHE
from prefect.events import emit_event


@task(cache_policy=NO_CACHE)
async def start_progress(slug: str, description: str) -> UUID:
    """A progress artifact for the ladder, at 0%."""
    return await acreate_progress_artifact(0.0, key=f"ladder-{slug}", description=description)


@task(cache_policy=NO_CACHE)
async def show_progress(artifact: UUID, done: int, total: int) -> None:
    """Move the ladder's progress artifact."""
    await aupdate_progress_artifact(artifact, 100.0 * done / max(total, 1))


@task(cache_policy=NO_CACHE)
def announce(name: str, slug: str, payload: dict[str, Any]) -> None:
    """Emit a `trials.*` event about the trial."""
    emit_event(
        event=name,
        resource={"prefect.resource.id": f"trials.trial.{slug}", "prefect.resource.name": slug},
        payload=payload,
    )
