"""Accelerated simulated time, and the background task that moves the world along it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SimClock:
    """Simulated time: it starts at the real time now and runs `seconds_per_day` real
    seconds per day from there, plus manual advances; it can be held still."""

    def __init__(self, seconds_per_day: float, start: datetime | None = None) -> None:
        self.seconds_per_day = seconds_per_day
        self.start = start or datetime.now(UTC).replace(microsecond=0)
        self._base = self.start  # the simulated time at the real moment `_base_real`
        self._base_real = time.monotonic()
        self._held: datetime | None = None

    def now(self) -> datetime:
        """The simulated time now."""
        if self._held is not None:
            return self._held
        real = time.monotonic() - self._base_real
        return self._base + timedelta(days=real / self.seconds_per_day)

    def days_elapsed(self) -> float:
        """Simulated days since the simulator started, advances included."""
        return (self.now() - self.start) / timedelta(days=1)

    def advance(self, days: float) -> datetime:
        """Jump forward by `days` simulated days; return the new time."""
        if self._held is not None:
            self._held += timedelta(days=days)
        else:
            self._base += timedelta(days=days)
        return self.now()

    @property
    def held(self) -> bool:
        """Whether simulated time stands still."""
        return self._held is not None

    def hold(self, at: datetime | None = None) -> None:
        """Stop simulated time at `at`, or now: never later than now, and never before the
        time it was last released at."""
        now = self.now()
        self._held = now if at is None else max(min(at, now), self._base)

    def release(self) -> None:
        """Let simulated time run again from where it was held."""
        if self._held is not None:
            self._base, self._base_real, self._held = self._held, time.monotonic(), None


async def run_ticker(clock: SimClock, on_tick: Callable[[datetime], None], interval: float) -> None:
    """Call `on_tick` with the simulated time every `interval` real seconds, until cancelled."""
    while True:
        on_tick(clock.now())
        await asyncio.sleep(interval)
