"""Prefect's own settings for the commands that run flows, set before Prefect is imported."""

from __future__ import annotations

import os


def prepare_prefect(log_level: str | None = None) -> None:
    """Analytics off (this machine has no network to send them to); optionally quieter logs.

    Prefect reads its settings from PREFECT_* environment variables; a value the user set
    wins over these defaults.
    """
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    if log_level is not None:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", log_level)
