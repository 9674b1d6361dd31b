"""Simulated time in a throwaway Redmine: rows re-timed in its SQLite database after each act.

Redmine's REST API stamps every row with the time of the request and cannot back-date it,
so a vendor that answers "20 minutes later" would answer within the same second. The clock
rewrites the timestamps of the rows an act just made (issues, journals, attachments, time
entries, wiki edits) to the act's simulated time. Rails reads these rows afresh on every request, so
the API shows the new times at once. Only ever point it at a Redmine made for a test.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

BUSY_TIMEOUT = 30.0  # seconds to wait for Redmine's own write to finish


def stamp(at: datetime) -> str:
    """A UTC time as Rails stores it in SQLite: `YYYY-MM-DD HH:MM:SS.ffffff`."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


class RedmineClock:
    """Re-times the rows of one throwaway Redmine's SQLite database."""

    def __init__(self, database: Path) -> None:
        if not database.is_file():
            raise FileNotFoundError(f"{database}: no Redmine database there to re-time")
        self.database = database

    def issue_created(self, issue_id: int, at: datetime) -> None:
        """An issue made at `at`."""
        with self._write() as db:
            db.execute(
                "UPDATE issues SET created_on = ?, updated_on = ? WHERE id = ?",
                (stamp(at), stamp(at), issue_id),
            )

    def issue_changed(self, issue_id: int, at: datetime, *, closed: bool = False) -> None:
        """The issue's latest journal (the act just made) happened at `at`."""
        with self._write() as db:
            db.execute(
                "UPDATE journals SET created_on = ? WHERE id = (SELECT max(id) FROM journals "
                "WHERE journalized_type = 'Issue' AND journalized_id = ?)",
                (stamp(at), issue_id),
            )
            db.execute("UPDATE issues SET updated_on = ? WHERE id = ?", (stamp(at), issue_id))
            if closed:
                db.execute("UPDATE issues SET closed_on = ? WHERE id = ?", (stamp(at), issue_id))

    def attachment_added(
        self, filename: str, at: datetime, *, issue: int | None = None, project: str | None = None
    ) -> None:
        """The latest file named `filename` attached to an issue, or added to a project's
        Files, was added at `at`."""
        if issue is not None:
            container, owner = "container_type = 'Issue' AND container_id = ?", str(issue)
        elif project is not None:
            container = (
                "container_type = 'Project' AND container_id = "
                "(SELECT id FROM projects WHERE identifier = ?)"
            )
            owner = project
        else:
            raise ValueError("say which issue or project the file was added to")
        with self._write() as db:
            db.execute(
                "UPDATE attachments SET created_on = ? WHERE id = (SELECT max(id) "
                f"FROM attachments WHERE filename = ? AND {container})",
                (stamp(at), filename, owner),
            )

    def wiki_edited(self, project: str, title: str, at: datetime, *, created: bool) -> None:
        """The latest version of a project's wiki page was written at `at` (and the page
        made then, when this edit `created` it)."""
        page = (
            "(SELECT p.id FROM wiki_pages p JOIN wikis w ON w.id = p.wiki_id "
            "JOIN projects r ON r.id = w.project_id WHERE r.identifier = ? AND p.title = ?)"
        )
        with self._write() as db:
            db.execute(
                f"UPDATE wiki_contents SET updated_on = ? WHERE page_id = {page}",
                (stamp(at), project, title),
            )
            db.execute(
                "UPDATE wiki_content_versions SET updated_on = ? WHERE id = (SELECT max(id) "
                f"FROM wiki_content_versions WHERE page_id = {page})",
                (stamp(at), project, title),
            )
            if created:
                db.execute(
                    f"UPDATE wiki_pages SET created_on = ? WHERE id = {page}",
                    (stamp(at), project, title),
                )

    def time_logged(self, entry_id: int, at: datetime) -> None:
        """A time entry booked at `at`, for work on that day (Rails keeps the day's year,
        month and ISO week beside it for its reports)."""
        day = at.astimezone(UTC).date()
        with self._write() as db:
            db.execute(
                "UPDATE time_entries SET spent_on = ?, tyear = ?, tmonth = ?, tweek = ?, "
                "created_on = ?, updated_on = ? WHERE id = ?",
                (
                    day.isoformat(),
                    day.year,
                    day.month,
                    day.isocalendar().week,
                    stamp(at),
                    stamp(at),
                    entry_id,
                ),
            )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.database, timeout=BUSY_TIMEOUT)
        try:
            with db:  # one transaction, committed on leaving
                yield db
        finally:
            db.close()
