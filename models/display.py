"""How a measured value is shown to people: at the places its unit calls for."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Each kind of unit, the words that name it, and the decimal places it is shown at.
_KINDS: tuple[tuple[frozenset[str], int], ...] = (
    (frozenset({"point", "points", "score", "scores", "rating", "stars"}), 2),
    (frozenset({"percent", "percentage", "pct", "%"}), 1),
    (
        frozenset(
            {"second", "seconds", "minute", "minutes", "min", "hour", "hours", "h", "day", "days"}
        ),
        1,
    ),
    (
        frozenset(
            {
                "page", "pages", "file", "files", "document", "documents", "ticket", "tickets",
                "item", "items", "count", "rehearsal", "rehearsals", "runbook", "runbooks",
                "incident", "incidents", "user", "users", "call", "calls",
            }
        ),
        0,
    ),
)  # fmt: skip
OTHER_PLACES = 2  # a unit of no known kind: at most two places, trailing zeros dropped
_WORDS = re.compile(r"%|[a-z]+")


def unit_places(unit: str) -> int | None:
    """The decimal places a value in `unit` is shown at; None for a unit of no known kind."""
    words = set(_WORDS.findall(unit.lower()))
    for names, places in _KINDS:
        if words & names:
            return places
    return None


def shown_value(value: Decimal | float | int, unit: str) -> str:
    """A measured value as people read it, at the precision its unit fits.

    The rule: scores ("points of 5", "rating") to two places; percentages, and times
    (seconds, minutes, hours, days) to one place; counts (pages, files, tickets, ...)
    whole; any other unit to at most two places, trailing zeros dropped. Rounding is
    half up, and only for the eye: the stored value keeps its full precision.
    35.1000 minutes shows as 35.1, 3.0660 points of 5 as 3.07, 12.0 pages as 12.
    """
    number = Decimal(str(value)) if not isinstance(value, Decimal) else value
    places = unit_places(unit)
    exponent = Decimal(1).scaleb(-(OTHER_PLACES if places is None else places))
    try:
        shown = number.quantize(exponent, rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than a Decimal holds at those places
        shown = number
    if places is None:
        shown = shown.normalize()
    if shown == 0:
        shown = abs(shown)  # -0.0 reads as a sign error
    return f"{shown:f}"
