"""Notifications end to end: `trials deploy` makes the automations from a stored plan's
notify: section, a worker runs the trial to its gates, and Prefect's server tells the real
local sinks, once per gate, however often the monitor looks again."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

import pytest
from prefect import get_client
from prefect.settings import PREFECT_API_URL
from standardwebhooks.webhooks import Webhook

from config import Settings
from flows.monitor import monitor
from tests.flows.conftest import StoreTrial, start_workers, stop_workers
from tests.notifications.sinks import HttpSink, SmtpSink, http_sink, smtp_sink

pytestmark = pytest.mark.e2e

TRIALS = str(Path(sys.executable).with_name("trials"))
SECRET = "whsec_" + base64.b64encode(b"notify-test-secret-32-bytes-long").decode()
NO_NOTIFY = "notify: {chat: [], email: [], remind_after_hours: 24}"


def run_trials(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([TRIALS, *argv], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def wait_for(what: Callable[[], bool], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "never happened"
        time.sleep(0.3)


async def wait_suspended(run_id: UUID, key: str) -> None:
    deadline = time.monotonic() + 180
    async with get_client() as client:
        while True:
            state = (await client.read_flow_run(run_id)).state
            if state is not None and state.state_details.pause_key == key:
                return
            assert time.monotonic() < deadline, f"the run never suspended at {key}: {state}"
            time.sleep(0.5)


def about(gate: str, chat: HttpSink, smtp: SmtpSink) -> tuple[list[str], list[dict], list[str]]:  # type: ignore[type-arg]
    """What each sink received about the gate: chat texts, verified webhooks, e-mail bodies."""
    texts = [json.loads(r.body)["text"] for r in chat.at("/chat")]
    signed = [Webhook(SECRET).verify(r.body.decode(), r.headers) for r in chat.at("/signed")]
    mails = [m.get_payload(decode=True).decode() for m in smtp.messages]
    return (
        [t for t in texts if f"(gate {gate})" in t],
        [w for w in signed if w["data"]["payload"].get("gate") == gate],
        [m for m in mails if f"(gate {gate})" in m],
    )


async def test_a_gate_tells_each_sink_once_with_the_forms_link(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    with http_sink() as sink, smtp_sink() as smtp:
        notify = (
            f"notify: {{chat: ['{sink.url}/chat'], webhooks: ['{sink.url}/signed'], "
            "email: [sam@example.com]}"
        )
        slug = stored_trial(slug="told", rewrite=lambda text: text.replace(NO_NOTIFY, notify))
        env = os.environ | {
            "PREFECT_API_URL": str(PREFECT_API_URL.value()),
            "PREFECT_WORKER_QUERY_SECONDS": "1",
            "PREFECT_WORKER_PREFETCH_SECONDS": "1",
            "TRIALS_NOTIFY_WEBHOOK_SECRET": SECRET,
            "TRIALS_SMTP_HOST": smtp.host,
            "TRIALS_SMTP_PORT": str(smtp.port),
            "TRIALS_SMTP_SECURITY": "none",
        }
        deployed = run_trials(env, "deploy")
        assert f"Notifications for {slug}: 3 target(s)." in deployed.stdout
        [worker] = start_workers(env)
        try:
            run_id = UUID(run_trials(env, "start", slug).stdout.strip().rsplit("/", 1)[-1])
            form = f"/runs/flow-run/{run_id}"
            await wait_suspended(run_id, "budget-approval-e1")
            wait_for(lambda: all(len(got) == 1 for got in about("budget-approval:e1", sink, smtp)))
            run_trials(env, "decide", slug, "approve", "--reason", "In budget", "--by", "Sam")
            await wait_suspended(run_id, "acceptance-e1-rung-3")
            run_trials(env, "review", slug, "satisfaction", "4.6", "--by", "Sam")

            await wait_suspended(run_id, "evaluation-e1-1")
            gate = "evaluation:e1:1"
            wait_for(lambda: all(len(got) == 1 for got in about(gate, sink, smtp)))
            [text], [signed], [mail] = about(gate, sink, smtp)
            for message in (text, signed["data"]["payload"]["message"], mail):
                assert f"Trial {slug} waits for a person: decision at evaluation" in message
                assert "The engine advises: expand." in message
                assert form in message  # the trial's run, which holds the form
                assert f"trials decide {slug} expand|extend|exit --reason TEXT" in message
            assert smtp.messages[-1]["To"] == "sam@example.com"

            run_trials(env, "decide", slug, "expand", "--reason", "All met", "--by", "Sam")
            # The same run applies it and climbs engagement 2's ladder, to its own gates.
            await wait_suspended(run_id, "acceptance-e2-l2-takeover")
        finally:
            stop_workers([worker])
        time.sleep(3)  # what the automations still had to send, they send within a second
        before = (len(sink.received), len(smtp.messages))
        await monitor(advance="none")
        await monitor(advance="none")
        time.sleep(3)
        assert (len(sink.received), len(smtp.messages)) == before
        for each in ("budget-approval:e1", "acceptance:e1:rung-3", "evaluation:e1:1"):
            assert [len(got) for got in about(each, sink, smtp)] == [1, 1, 1]
