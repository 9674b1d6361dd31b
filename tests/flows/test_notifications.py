"""Notifications end to end: `trials deploy` makes the automations from a stored plan's
notify: section, a worker runs the trial to its gates, and Prefect's server tells the real
local sinks, once per gate, however often the monitor looks again."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import cast
from uuid import UUID

import pytest
from prefect import get_client
from prefect.settings import PREFECT_API_URL
from standardwebhooks.webhooks import Webhook

from config import Settings
from flows.monitor import monitor
from store.db import write_session
from store.trials import get_trial
from tests.flows.conftest import StoreTrial, start_workers, stop_workers
from tests.flows.test_service import undeploy
from tests.notifications.sinks import HttpSink, SmtpSink, free_port, http_sink, smtp_sink

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def _undeployed_after(prefect_api: None) -> Iterator[None]:
    """The tests here register prefect.yaml's deployments on the session's server with
    `trials deploy`; they are deleted after the module, as the service tests' are."""
    yield
    undeploy()


TRIALS = str(Path(sys.executable).with_name("trials"))
SECRET = "whsec_" + base64.b64encode(b"notify-test-secret-32-bytes-long").decode()
NO_NOTIFY = "notify: {chat: [], email: [], remind_after_hours: 24}"


def run_trials(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([TRIALS, *argv], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr + done.stdout
    return done


def service_env(**extra: str) -> dict[str, str]:
    """This process's environment, the session's server, and workers that poll every second."""
    return os.environ | {
        "PREFECT_API_URL": str(PREFECT_API_URL.value()),
        "PREFECT_WORKER_QUERY_SECONDS": "1",
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        **extra,
    }


def chat_texts(chat: HttpSink, having: str) -> list[str]:
    """The chat messages that say `having`."""
    return [t for r in chat.at("/chat") if having in (t := json.loads(r.body)["text"])]


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
    mails = [cast(bytes, m.get_payload(decode=True)).decode() for m in smtp.messages]
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


async def test_a_gate_left_open_past_the_interval_is_reminded_of_once(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    with http_sink() as sink:
        notify = f"notify: {{chat: ['{sink.url}/chat'], remind_after_hours: 1}}"
        slug = stored_trial(slug="reminded", rewrite=lambda text: text.replace(NO_NOTIFY, notify))
        env = service_env()
        run_trials(env, "deploy")
        [worker] = start_workers(env)
        try:
            run_id = UUID(run_trials(env, "start", slug).stdout.strip().rsplit("/", 1)[-1])
            await wait_suspended(run_id, "budget-approval-e1")
        finally:
            stop_workers([worker])
        wait_for(lambda: len(chat_texts(sink, "(gate budget-approval:e1)")) == 1)
        with write_session(settings) as session:  # the gate has been open for two hours
            trial = get_trial(session=session, slug=slug)
            assert trial.waiting_since is not None
            trial.waiting_since -= timedelta(hours=2)
            session.add(trial)

        await monitor(advance="none")
        wait_for(lambda: len(chat_texts(sink, "has waited")) == 1)
        await monitor(advance="none")
        time.sleep(3)  # what the automation still had to send, it sends within a second
        [reminder] = chat_texts(sink, "has waited")
        assert f"{slug} has waited 2 h for a person: budget approval at onboarding" in reminder
        assert f"trials decide {slug} approve" in reminder
        assert len(chat_texts(sink, "(gate budget-approval:e1)")) == 1


async def test_a_failed_run_tells_the_people(settings: Settings, stored_trial: StoreTrial) -> None:
    with http_sink() as sink:
        notify = f"notify: {{chat: ['{sink.url}/chat']}}"
        slug = stored_trial(slug="failing", rewrite=lambda text: text.replace(NO_NOTIFY, notify))
        env = service_env()
        run_trials(env, "deploy")
        # The worker cannot reach the trial's store: every run it takes fails at once.
        unreachable = f"postgresql+psycopg://trials@127.0.0.1:{free_port()}/trials"
        [worker] = start_workers(env | {"TRIALS_DATABASE_URL": unreachable})
        try:
            run_trials(env, "start", slug)
            wait_for(lambda: len(chat_texts(sink, "failed")) == 1)
        finally:
            stop_workers([worker])
        [text] = chat_texts(sink, "failed")
        assert text.startswith(f"*Trial run trial-{slug} failed*\nThe run trial-{slug} failed: ")
        assert "StoreError" in text and "`trials start` carries the trial on" in text


async def test_a_notification_that_could_not_be_sent_shows_in_status(
    settings: Settings, stored_trial: StoreTrial
) -> None:
    refusing = f"http://127.0.0.1:{free_port()}/chat"  # nothing listens there
    notify = f"notify: {{chat: ['{refusing}']}}"
    slug = stored_trial(slug="unheard", rewrite=lambda text: text.replace(NO_NOTIFY, notify))
    env = service_env()
    run_trials(env, "deploy")
    assert "not sent" not in run_trials(env, "status").stdout
    [worker] = start_workers(env)
    try:
        run_id = UUID(run_trials(env, "start", slug).stdout.strip().rsplit("/", 1)[-1])
        await wait_suspended(run_id, "budget-approval-e1")
    finally:
        stop_workers([worker])

    def unsent() -> list[str]:
        shown = " ".join(run_trials(env, "status").stdout.split())
        return re.findall(rf"'trials notify: {slug}': .*?`trials deploy`", shown)

    wait_for(lambda: len(unsent()) == 1, timeout=60)
    [line] = unsent()
    assert "Notification failed: the chat webhook at 127.0.0.1 refused" in line
    assert "Check the URL in the plan's (or TRIALS_NOTIFY's) notify: section" in line
