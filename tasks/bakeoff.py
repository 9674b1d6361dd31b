"""The bake-off's steps: read its vendors, work out the selection gate, record the selection,
and publish the side-by-side scorecard.

As in `tasks.trial_state`, the reads of the store and the artifacts are plain functions;
the writes (the selection, the trials waiting at it) are tasks, each one short transaction."""

from __future__ import annotations

import base64
from uuid import UUID

from prefect import get_client, task
from prefect.artifacts import acreate_markdown_artifact, acreate_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext

from models.labels import trial_tag, vendor_tag
from models.selection import Selection
from models.selection_view import expectation_rows, selection_markdown, vendor_rows
from models.tables import utcnow
from reports.bakeoff import gather_bakeoff, render_bakeoff
from store.bakeoffs import (
    Entry,
    awaiting_selection,
    bakeoff_entries,
    get_bakeoff,
    record_selection,
    selection_at,
)
from store.db import read_session, write_session
from store.trials import set_waiting_for


async def label_bakeoff_run(entries: list[Entry]) -> None:
    """Tag the running bake-off run with every vendor and trial, as each trial's own runs
    are (`tasks.reporting.label_run`): `trials status` then finds, for each trial waiting
    at the selection, the run whose form answers it."""
    context = FlowRunContext.get()
    if context is None or context.flow_run is None:
        return
    labels = {trial_tag(e.slug) for e in entries} | {vendor_tag(e.name) for e in entries}
    run = context.flow_run
    async with get_client() as client:
        await client.update_flow_run(run.id, tags=sorted(set(run.tags) | labels))


async def load_entries(bakeoff: str) -> list[Entry]:
    """The bake-off's vendors and their trials, in the plan's order."""
    with read_session() as session:
        return bakeoff_entries(session=session, bakeoff=bakeoff)


async def selected_on_record(bakeoff: str) -> str | None:
    """The vendor selected in the bake-off (or "none"), if the selection is on record."""
    with read_session() as session:
        return get_bakeoff(session=session, bakeoff=bakeoff).selected


async def awaits_selection(slug: str) -> bool:
    """Whether trial `slug`'s evaluation waits for its bake-off's selection, not a decision
    of its own."""
    with read_session() as session:
        return awaiting_selection(session=session, slug=slug) is not None


async def assess_selection(bakeoff: str) -> Selection:
    """The selection gate as the store stands: every vendor side by side, and the advice."""
    with read_session() as session:
        return selection_at(session=session, bakeoff=bakeoff, today=utcnow().date())


@task(cache_policy=NO_CACHE)
async def save_selection(selection: Selection, vendor: str, reason: str, decided_by: str) -> None:
    """Record the selection once, and each evaluated trial's decision that follows from it."""
    with write_session() as session:
        record_selection(
            session=session,
            selection=selection,
            vendor=vendor,
            reason=reason,
            decided_by=decided_by,
        )


@task(cache_policy=NO_CACHE)
async def wait_for_selection(selection: Selection, waiting_for: str, note: str) -> None:
    """Show every evaluated vendor's trial as waiting at the bake-off's selection gate."""
    with write_session() as session:
        for slug in selection.outcome("none"):
            set_waiting_for(session=session, slug=slug, what=waiting_for, asked=note)


async def publish_selection(selection: Selection) -> list[UUID]:
    """The side-by-side scorecard as artifacts keyed by the bake-off: the whole gate as
    markdown, and the per-vendor and per-expectation tables."""
    key = f"selection-{selection.bakeoff}"
    return [
        await acreate_markdown_artifact(
            markdown=selection_markdown(selection),
            key=key,
            description=f"Selection gate of bake-off {selection.bakeoff}",
        ),
        await acreate_table_artifact(
            table=vendor_rows(selection),
            key=f"{key}-vendors",
            description=f"Each vendor's score, cost and schedule, in {selection.currency}",
        ),
        await acreate_table_artifact(
            table=expectation_rows(selection),
            key=f"{key}-expectations",
            description="Each expectation, each vendor's value and where it came from",
        ),
    ]


async def publish_bakeoff_report(bakeoff: str) -> UUID:
    """The side-by-side report as the store has it now, its two charts inside, as the
    markdown artifact `bakeoff-report-BAKEOFF` (what `trials report BAKEOFF` writes)."""
    with read_session() as session:
        report = gather_bakeoff(session=session, bakeoff=bakeoff)
    rendered = render_bakeoff(report)
    markdown = rendered.markdown
    for name, png in rendered.charts.items():
        markdown = markdown.replace(
            f"]({name})", "](data:image/png;base64," + base64.b64encode(png).decode() + ")"
        )
    return await acreate_markdown_artifact(
        markdown=markdown,
        key=f"bakeoff-report-{bakeoff}",
        description=f"The report of bake-off {bakeoff}, as `trials report {bakeoff}` writes it.",
    )
