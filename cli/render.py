"""The terminal the commands print to, and how amounts look on it."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console


def console() -> Console:
    """The console commands print to: plan text is never read as markup; lines wrap."""
    return Console(highlight=False, soft_wrap=True, markup=False)


def money(value: Decimal) -> str:
    """An amount with thousands separators and cents."""
    return f"{value:,.2f}"
