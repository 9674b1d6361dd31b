"""Notification blocks Prefect lacks: a webhook signed to Standard Webhooks, and e-mail by SMTP.

Prefect's server sends an automation's notification with the block it names, so the
server must know the block's class. This module is a `prefect.collections` entry point
(pyproject.toml): every Prefect process in this environment, `trials server` included,
imports it before it looks a block class up. It stays light for that reason.
"""

from __future__ import annotations

import hashlib
import json
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email.message import EmailMessage

import anyio
import httpx
from prefect.blocks.abstract import NotificationBlock, NotificationError
from pydantic import Field, SecretStr
from standardwebhooks.webhooks import Webhook


class ChatWebhook(NotificationBlock):
    """POST the notification to a Slack or Teams incoming webhook, as {"text": ...}."""

    _block_type_name = "Trials Chat Webhook"
    _block_type_slug = "trials-chat-webhook"

    url: str = Field(description="The chat's incoming webhook URL.")
    timeout: float = Field(default=10, description="Seconds to wait for the chat.")

    async def notify(self, body: str, subject: str | None = None) -> None:
        """Post one message; raises on a refusal, so the automation records it."""
        text = f"*{subject}*\n{body}" if subject else body
        with refusals(self, f"the chat webhook at {httpx.URL(self.url).host}"):
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, json={"text": text})
            response.raise_for_status()


@contextmanager
def refusals(block: NotificationBlock, where: str) -> Iterator[None]:
    """While Prefect's automation sends (`raise_on_failure`), a refusal becomes the
    NotificationError its action records as failed (any other error it only retries), with
    a log naming the receiver and never its URL, which may carry a token."""
    try:
        yield
    except (httpx.HTTPError, OSError, smtplib.SMTPException) as exc:
        if not block._raise_on_failure:
            raise
        if isinstance(exc, httpx.HTTPStatusError):
            why = f"answered HTTP {exc.response.status_code}"
        else:
            why = f"refused: {exc or type(exc).__name__}"
        raise NotificationError(log=f"{where} {why}") from None  # never the URL, via the cause


class SignedWebhook(NotificationBlock):
    """POST the notification as JSON, signed to the Standard Webhooks spec."""

    _block_type_name = "Trials Signed Webhook"
    _block_type_slug = "trials-signed-webhook"

    url: str = Field(description="Where to POST the notification.")
    secret: SecretStr = Field(description="The Standard Webhooks secret: whsec_ and base64.")
    timeout: float = Field(default=10, description="Seconds to wait for the receiver.")

    async def notify(self, body: str, subject: str | None = None) -> None:
        """Send one signed delivery; raises on a refusal, so the automation records it."""
        content = signed_body(body, subject)
        headers = signed_headers(self.secret.get_secret_value(), content)
        with refusals(self, f"the webhook at {httpx.URL(self.url).host}"):
            async with httpx.AsyncClient(timeout=self.timeout) as client:
                response = await client.post(self.url, content=content, headers=headers)
            response.raise_for_status()


def signed_body(body: str, subject: str | None) -> str:
    """The delivery's JSON: the rendered body as data when it is JSON, else as text."""
    try:
        data = json.loads(body)
    except ValueError:
        data = {"message": body}
    if isinstance(data, dict):
        data.setdefault("subject", subject)
    return json.dumps({"type": "trials.notification", "data": data}, sort_keys=True)


def signed_headers(secret: str, content: str) -> dict[str, str]:
    """The Standard Webhooks headers; the id follows the content, so a receiver takes a
    repeat of the same notification for a duplicate."""
    msg_id = "msg_" + hashlib.sha256(content.encode()).hexdigest()[:32]
    now = datetime.now(UTC)
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, now, content),
    }


class SmtpEmail(NotificationBlock):
    """Send the notification as a plain-text e-mail through an SMTP server."""

    _block_type_name = "Trials SMTP E-mail"
    _block_type_slug = "trials-smtp-email"

    host: str
    port: int = 587
    username: str | None = None
    password: SecretStr | None = None
    security: str = Field(default="starttls", description="starttls, ssl or none.")
    sender: str = Field(description="The From: address.")
    to: list[str] = Field(description="The recipients.")
    timeout: float = 10

    async def notify(self, body: str, subject: str | None = None) -> None:
        """Send one e-mail; raises when the server refuses, so the automation records it."""
        message = EmailMessage()
        message["From"], message["To"] = self.sender, ", ".join(self.to)
        message["Subject"] = subject or "Vendor Trials"
        message.set_content(body)
        with refusals(self, f"the SMTP server at {self.host}:{self.port}"):
            await anyio.to_thread.run_sync(self.send, message)

    def send(self, message: EmailMessage) -> None:
        """Deliver the message over one SMTP session."""
        with self.connect() as smtp:
            if self.username:
                password = self.password.get_secret_value() if self.password else ""
                smtp.login(self.username, password)
            smtp.send_message(message)

    def connect(self) -> smtplib.SMTP:
        """A session with the server, encrypted as `security` says."""
        if self.security == "ssl":
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            smtp.starttls(context=ssl.create_default_context())
        return smtp
