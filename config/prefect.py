"""Prefect's own settings for the commands that run flows, set before Prefect is imported."""

from __future__ import annotations

import os


def prepare_prefect(quiet_console: bool = False) -> None:
    """Analytics off (this machine has no network to send them to); optionally a quiet terminal.

    Prefect reads its settings from PREFECT_* environment variables; a value the user set
    wins over these defaults. A quiet console still sends every log line to the Prefect
    API, so the UI shows them; the command prints its own summary or one-paragraph error.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if quiet_console:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")
