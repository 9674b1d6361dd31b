"""The terminal the commands print to."""

from __future__ import annotations

from rich.console import Console


def console() -> Console:
    """The console commands print to: plan text is never read as markup; lines wrap."""
    return Console(highlight=False, soft_wrap=True, markup=False)
