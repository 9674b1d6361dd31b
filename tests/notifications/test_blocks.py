"""The project's notification blocks against real local sinks: the signed webhook is
verified with standardwebhooks, the e-mail arrives at aiosmtpd."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from prefect.blocks.abstract import NotificationError
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook

from config import Settings
from models.errors import TrialsError
from notifications.automations import check_smtp
from notifications.blocks import ChatWebhook, SignedWebhook, SmtpEmail
from tests.notifications.sinks import free_port, http_sink, smtp_sink

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


async def test_the_webhook_is_signed_to_standard_webhooks_and_carries_the_payload() -> None:
    with http_sink() as sink:
        block = SignedWebhook(url=f"{sink.url}/hook", secret=SecretStr(SECRET))
        await block.notify('{"event": "trials.gate.opened", "trial": "t1"}', "Trial t1")
        await block.notify('{"event": "trials.gate.opened", "trial": "t1"}', "Trial t1")
    first, again = sink.at("/hook")
    verified = Webhook(SECRET).verify(first.body.decode(), first.headers)
    assert verified == {
        "type": "trials.notification",
        "data": {"event": "trials.gate.opened", "trial": "t1", "subject": "Trial t1"},
    }
    # The same notification twice keeps its id: a receiver takes the second for a duplicate.
    assert first.headers["webhook-id"] == again.headers["webhook-id"]


async def test_a_plain_text_body_is_sent_as_the_message() -> None:
    with http_sink() as sink:
        await SignedWebhook(url=sink.url, secret=SecretStr(SECRET)).notify("hello", "Hi")
    [got] = sink.received
    assert json.loads(got.body)["data"] == {"message": "hello", "subject": "Hi"}


async def test_a_refused_webhook_raises_so_the_automation_records_it() -> None:
    block = SignedWebhook(url=f"http://127.0.0.1:{free_port()}/", secret=SecretStr(SECRET))
    with pytest.raises(httpx.ConnectError):
        await block.notify("hello", "Hi")


async def test_the_chat_message_is_its_subject_in_bold_then_its_body() -> None:
    with http_sink() as sink:
        await ChatWebhook(url=f"{sink.url}/chat").notify("Trial t1 waits.", "Trial t1")
    [got] = sink.at("/chat")
    assert json.loads(got.body) == {"text": "*Trial t1*\nTrial t1 waits."}


async def test_under_an_automation_a_refusal_is_a_notification_error_naming_the_receiver() -> None:
    port = free_port()
    blocks = [
        ChatWebhook(url=f"http://127.0.0.1:{port}/services/TOKEN"),
        SignedWebhook(url=f"http://127.0.0.1:{port}/TOKEN", secret=SecretStr(SECRET)),
        SmtpEmail(host="127.0.0.1", port=port, security="none", sender="a@b.c", to=["d@e.f"]),
    ]
    logs = []
    for block in blocks:
        with block.raise_on_failure(), pytest.raises(NotificationError) as raised:
            await block.notify("hello", "Hi")
        logs.append(raised.value.log)
    assert logs[0].startswith("the chat webhook at 127.0.0.1 refused")
    assert logs[1].startswith("the webhook at 127.0.0.1 refused")
    assert logs[2].startswith(f"the SMTP server at 127.0.0.1:{port} refused")
    assert not any("TOKEN" in log for log in logs)  # a URL may carry a token


async def test_the_email_arrives_at_the_smtp_server() -> None:
    with smtp_sink() as smtp:
        block = SmtpEmail(
            host=smtp.host,
            port=smtp.port,
            security="none",
            sender="trials@example.com",
            to=["sam@example.com", "kim@example.com"],
        )
        await block.notify("Trial t1 waits.\nAnswer: http://ui/runs/flow-run/1", "Trial t1")
    [mail] = smtp.messages
    assert (mail["Subject"], mail["To"]) == ("Trial t1", "sam@example.com, kim@example.com")
    assert "http://ui/runs/flow-run/1" in mail.get_payload()


def test_deploy_refuses_an_smtp_server_that_does_not_answer() -> None:
    port = free_port()
    settings = Settings(smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    with pytest.raises(TrialsError, match=f"SMTP server at 127.0.0.1:{port}"):
        check_smtp(settings)


def test_deploy_checks_an_smtp_server_that_answers() -> None:
    with smtp_sink() as smtp:
        check_smtp(Settings(smtp_host=smtp.host, smtp_port=smtp.port, smtp_security="none"))
