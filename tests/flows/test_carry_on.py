"""The carry-on flow a vendor's event starts: it starts nothing for a trial a run cannot
carry on (the service test, tests/flows/test_event_trigger.py, shows it starting one)."""

from __future__ import annotations

from flows.carry_on import carry_on_trial
from tests.flows.conftest import StoreTrial


async def test_an_event_about_an_unknown_or_unstarted_trial_starts_nothing(
    stored_trial: StoreTrial,
) -> None:
    assert await carry_on_trial("no-such-trial") == "not started"
    draft = stored_trial()  # stored, never started: `trials start` does that, not an event
    assert await carry_on_trial(draft) == "not started"
