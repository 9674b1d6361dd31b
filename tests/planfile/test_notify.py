"""The plan's notify: section: each bad target refused at its line, and a plan without the
section warned that nobody is told."""

from __future__ import annotations

from models.checks import PlanPolicy
from models.notify import GateNotice
from planfile import load_plan
from tests.conftest import VALID_PLAN, line_of

NOTIFY = """\
notify:
  chat: [https://hooks.slack.com/services/T0/B0/x]
  webhooks:
    - https://client.example/hooks/trials
    - not a url
  email: [sam@example.com, sam.example.com]
  blocks: [slack-webhook/ops, "no type"]
"""


def test_each_bad_target_is_refused_at_its_line(write_plan) -> None:  # type: ignore[no-untyped-def]
    path = write_plan(VALID_PLAN + NOTIFY)
    errors = [f for f in load_plan(path, PlanPolicy()).findings if f.severity == "error"]
    where = {f.field: f for f in errors}
    assert set(where) == {"notify.webhooks[1]", "notify.email[1]", "notify.blocks[1]"}
    assert where["notify.webhooks[1]"].line == line_of(path, "- not a url")
    assert where["notify.email[1]"].line == line_of(path, "sam.example.com")
    assert "'sam.example.com' is not an e-mail address" in str(where["notify.email[1]"])
    assert str(path) in str(where["notify.blocks[1]"])


def test_a_plan_without_notify_is_warned_and_an_empty_one_is_not(write_plan) -> None:  # type: ignore[no-untyped-def]
    warned = [f for f in load_plan(write_plan(), PlanPolicy()).findings if f.field == "notify"]
    assert [f.message for f in warned] == [
        "no notify: section, so nobody is told when the trial waits for a person"
    ]
    on_purpose = write_plan(VALID_PLAN + "notify: {}\n")
    assert [f for f in load_plan(on_purpose, PlanPolicy()).findings if f.field == "notify"] == []


def test_a_gate_notice_says_which_trial_what_is_needed_the_advice_the_form_and_the_command() -> (
    None
):
    notice = GateNotice(
        slug="acme",
        gate="evaluation:e1:1",
        needed="decision at evaluation",
        advice="expand",
        rationale="every expectation met",
        form_url="http://127.0.0.1:4200/runs/flow-run/42",
        answer="trials decide acme expand|extend|exit --reason TEXT",
    )
    assert notice.subject == "Trial acme needs a person: decision at evaluation"
    assert notice.message == (
        "Trial acme waits for a person: decision at evaluation (gate evaluation:e1:1). "
        "The engine advises: expand.\nWhy: every expectation met\n"
        "Answer in the form: http://127.0.0.1:4200/runs/flow-run/42\n"
        "Or from a terminal: trials decide acme expand|extend|exit --reason TEXT"
    )
