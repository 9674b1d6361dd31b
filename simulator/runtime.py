"""One running simulator: its clock, world, ledger, fault plan and webhook sender."""

from __future__ import annotations

import asyncio
from datetime import datetime

from adapters.contract import ExportStatus, WebhookEvent, WorkStatus
from simulator.clock import SimClock, run_ticker
from simulator.config import SimulatorConfig
from simulator.faults import FaultPlan
from simulator.ledger import Ledger
from simulator.profiles import PROFILES
from simulator.progress import advance
from simulator.state import World
from simulator.webhooks import WebhookSender

IN_HAND = (WorkStatus.ACCEPTED, WorkStatus.IN_PROGRESS)


class Simulator:
    """Everything one simulated vendor knows, wired together."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.profile = PROFILES[config.profile]
        self.clock = SimClock(config.seconds_per_day)
        self.ledger = Ledger()
        self.faults = FaultPlan(config, self.profile, self.clock)
        self.webhooks: WebhookSender | None = None
        if config.webhook_url is not None and config.webhook_secret is not None:
            self.webhooks = WebhookSender(config.webhook_url, config.webhook_secret)
        self._last_event: datetime | None = None
        self.world = World(config, self.profile, self._emit)

    def now(self) -> datetime:
        """Bring the world up to the simulated time now, and return that time."""
        now = self.clock.now()
        self._advance(now)
        return self.clock.now()

    async def run(self) -> None:
        """Move the world along simulated time and send webhooks, until cancelled."""
        ticking = run_ticker(self.clock, self._advance, self.config.tick_seconds)
        if self.webhooks is None:
            await ticking
        else:
            await asyncio.gather(ticking, self.webhooks.run())

    def _advance(self, now: datetime) -> None:
        """Bring the world up to `now`; without `idle_time_passes`, hold the clock while the
        vendor has nothing in hand, at the time of the last thing it did (at its start when
        it has done nothing yet, however late the first tick comes on a busy machine)."""
        advance(self.world, now)
        if self.config.idle_time_passes:
            return
        if has_work(self.world):
            self.clock.release()
        elif not self.clock.held:
            self.clock.hold(last_done(self.world, self._last_event) or self.clock.start)

    def _emit(self, event: WebhookEvent) -> None:
        if self._last_event is None or event.occurred_at > self._last_event:
            self._last_event = event.occurred_at
        # A vanished vendor sends nothing either.
        if self.webhooks is not None and not self.faults.gone():
            self.webhooks.enqueue(event)


def has_work(world: World) -> bool:
    """Whether the vendor has work, an export or a directive in hand."""
    return (
        any(r.item.status in IN_HAND for r in world.work.values())
        or any(e.export.status == ExportStatus.PENDING for e in world.exports.values())
        or any(d.directive.status == "open" for d in world.directives.values())
    )


def last_done(world: World, last_event: datetime | None) -> datetime | None:
    """When the vendor last did something: its latest event or finished export."""
    moments = [
        e.ready_at for e in world.exports.values() if e.export.status != ExportStatus.PENDING
    ]
    if last_event is not None:
        moments.append(last_event)
    return max(moments, default=None)
