"""A vendor read that must not stop its caller: the answer, or why there was none."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from adapters.errors import VendorError
from models.exit_readiness import Unanswered

T = TypeVar("T")


async def answered(call: Awaitable[T]) -> T | Unanswered:
    """The vendor's answer, or what went wrong once the client stopped retrying.

    A rehearsal records a vendor that is down or refuses as a failed check, rather than
    stopping: that the vendor cannot be reached is itself what it has to find out.
    """
    try:
        return await call
    except VendorError as exc:
        # The error's own advice is for a caller that sent a bad request; a rehearsal's
        # check words its own to-do, so only what happened is kept.
        tries = f" (no answer after {exc.attempts} attempts)" if exc.attempts > 1 else ""
        return Unanswered(
            what=f"Vendor {exc.vendor}, {exc.call}: {exc.what}{tries}",
            unavailable=exc.retryable,
        )
