"""Accelerated simulated time, and the background task that moves the world along it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SimClock:
    """Simulated time: `seconds_per_day` real seconds per day, plus manual advances."""

    def __init__(self, seconds_per_day: float, start: datetime | None = None) -> None:
        self.seconds_per_day = seconds_per_day
        self.start = start or datetime.now(UTC).replace(microsecond=0)
        self._real_start = time.monotonic()
        self._advanced = timedelta()

    def now(self) -> datetime:
        """The simulated time now."""
        return self.start + timedelta(days=self.days_elapsed())

    def days_elapsed(self) -> float:
        """Simulated days since the simulator started, advances included."""
        real = (time.monotonic() - self._real_start) / self.seconds_per_day
        return real + self._advanced / timedelta(days=1)

    def advance(self, days: float) -> datetime:
        """Jump forward by `days` simulated days; return the new time."""
        self._advanced += timedelta(days=days)
        return self.now()


async def run_ticker(clock: SimClock, on_tick: Callable[[datetime], None], interval: float) -> None:
    """Call `on_tick` with the simulated time every `interval` real seconds, until cancelled."""
    while True:
        on_tick(clock.now())
        await asyncio.sleep(interval)
