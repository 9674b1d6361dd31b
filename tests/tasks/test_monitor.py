"""The monitor's start of a trial's deployment when the Prefect server cannot take it: one
error that names the server, the trial, and what to do."""

from __future__ import annotations

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from config import Settings
from models.errors import TrialsError
from tasks.monitor import server_down, start_for_news

NOTHING_THERE = "http://127.0.0.1:9/api"  # the discard port: nothing listens


async def test_a_start_no_server_answers_is_refused_naming_the_server_and_what_to_do(
    settings: Settings,
) -> None:
    with (
        temporary_settings({PREFECT_API_URL: NOTHING_THERE}),
        pytest.raises(TrialsError) as refused,
    ):
        await start_for_news.fn("acme-helpdesk")
    said = str(refused.value)
    assert said.startswith(
        f"The Prefect server at {NOTHING_THERE} did not answer the start of trial "
        "'acme-helpdesk' (ConnectError: "
    )
    assert "'acme-helpdesk' and the trials after it keep their news" in said
    assert "Start the server again (`trials server`), or set PREFECT_API_URL" in said


def test_a_server_that_answers_with_an_error_is_named_with_its_status() -> None:
    request = httpx.Request("POST", "http://prefect.test/api/deployments/x/create_flow_run")
    answer = httpx.Response(503, request=request)
    failure = httpx.HTTPStatusError("unavailable", request=request, response=answer)
    with temporary_settings({PREFECT_API_URL: "http://prefect.test/api"}):
        said = server_down("acme-helpdesk", failure)
    assert said.startswith(
        "The Prefect server at http://prefect.test/api answered the start of trial "
        "'acme-helpdesk' with 503. This monitor round stops here"
    )
