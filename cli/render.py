"""The terminal the commands print to, and how amounts look on it."""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console


def console() -> Console:
    """The console commands print to; messages wrap rather than being cut."""
    return Console(highlight=False, soft_wrap=True)


def money(value: Decimal) -> str:
    """An amount with thousands separators and cents."""
    return f"{value:,.2f}"
