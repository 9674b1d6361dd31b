"""`trials deploy` against a Prefect server: a notify: block the server does not have is
refused by name with the fix, and nothing is half made."""

from __future__ import annotations

import pytest
from prefect import get_client

from config import Settings
from models.errors import TrialsError
from models.notify import Notify
from notifications.automations import PREFIX, ensure_notifications


async def test_a_block_the_server_does_not_have_is_refused_by_name(
    prefect_api: None,
) -> None:
    notify = Notify(blocks=["slack-webhook/no-such-channel"])
    with pytest.raises(TrialsError) as refused:
        await ensure_notifications(notify, Settings(), "unknown-block-trial")
    message = str(refused.value)
    assert "names the block slack-webhook/no-such-channel" in message
    assert "has no such block" in message and "trials deploy" in message
    async with get_client() as client:
        automations = await client.read_automations_by_name(f"{PREFIX}unknown-block-trial")
    assert automations == []  # no automation left pointing nowhere
