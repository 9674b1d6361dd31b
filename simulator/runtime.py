"""One running simulator: its clock, world, ledger, fault plan and webhook sender."""

from __future__ import annotations

import asyncio
from datetime import datetime

from simulator.clock import SimClock, run_ticker
from simulator.config import SimulatorConfig
from simulator.faults import FaultPlan
from simulator.ledger import Ledger
from simulator.profiles import PROFILES
from simulator.progress import advance
from simulator.state import World
from simulator.webhooks import WebhookSender
from vendor.contract import WebhookEvent


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
        self.world = World(config, self.profile, self._emit)

    def now(self) -> datetime:
        """Bring the world up to the simulated time now, and return that time."""
        now = self.clock.now()
        advance(self.world, now)
        return now

    async def run(self) -> None:
        """Move the world along simulated time and send webhooks, until cancelled."""
        ticking = run_ticker(
            self.clock, lambda now: advance(self.world, now), self.config.tick_seconds
        )
        if self.webhooks is None:
            await ticking
        else:
            await asyncio.gather(ticking, self.webhooks.run())

    def _emit(self, event: WebhookEvent) -> None:
        # A vanished vendor sends nothing either.
        if self.webhooks is not None and not self.faults.gone():
            self.webhooks.enqueue(event)
