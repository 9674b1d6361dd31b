"""Signed webhook deliveries (Standard Webhooks), best effort, in the order events happen."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from adapters.contract import WebhookEvent

RETRY_DELAYS = (0.2, 0.5)  # real seconds before the second and third attempts


@dataclass
class Delivery:
    """One event sent, or tried, to the webhook URL."""

    id: str
    type: str
    subject: str
    url: str
    attempts: int = 0
    status_code: int | None = None
    delivered: bool = False
    error: str | None = None


class WebhookSender:
    """Queues events and posts them signed; keeps a log of every delivery."""

    def __init__(self, url: str, secret: str) -> None:
        self.url = url
        self.signer = Webhook(secret)
        self.queue: asyncio.Queue[WebhookEvent] = asyncio.Queue()
        self.log: list[Delivery] = []

    def enqueue(self, event: WebhookEvent) -> None:
        """Schedule an event for delivery; never blocks."""
        self.queue.put_nowait(event)

    async def run(self) -> None:
        """Deliver queued events one by one, until cancelled."""
        async with httpx.AsyncClient(timeout=5.0) as client:
            while True:
                event = await self.queue.get()
                await self.deliver(client, event)

    async def deliver(self, client: httpx.AsyncClient, event: WebhookEvent) -> Delivery:
        """Post one event, retrying a couple of times on errors and 5xx/429 answers."""
        delivery = Delivery(f"msg_{uuid.uuid4().hex}", event.type.value, event.subject, self.url)
        self.log.append(delivery)
        body = event.model_dump_json()
        for delay in (0.0, *RETRY_DELAYS):
            await asyncio.sleep(delay)
            delivery.attempts += 1
            try:
                response = await client.post(
                    self.url, content=body, headers=self.headers(delivery.id, body)
                )
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                delivery.error = f"{type(exc).__name__}: {exc}"
                continue
            delivery.status_code, delivery.error = response.status_code, None
            if response.status_code < 500 and response.status_code != 429:
                delivery.delivered = response.is_success
                break
        return delivery

    def headers(self, msg_id: str, body: str) -> dict[str, str]:
        """The Standard Webhooks headers for a body, signed now."""
        now = datetime.now(UTC)
        return {
            "content-type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": self.signer.sign(msg_id, now, body),
        }
