"""Budget rules: thresholds, reconciliation against the rate card, burn per rung, the cap gate."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from models.budget import CostLine, InvoiceLine, burn, crossed, reconcile, thresholds
from models.cap import CapChoice, CapRequest, check_new_cap, parse_cap_choice
from models.errors import TrialsError

CARD = {"engineer": D(95), "lead": D(140)}


def line(ref: str, rung: str, role: str, hours: str, rate: str, amount: str) -> CostLine:
    return CostLine(
        vendor_ref=ref, rung=rung, role=role, hours=D(hours), rate=D(rate), amount=D(amount)
    )


def test_thresholds_are_shares_of_the_estimate_and_the_cap_in_force() -> None:
    marks = thresholds(1, D(13500), D(15500))
    assert [(m.key, m.amount) for m in marks] == [
        ("e1:estimate:50", D("6750.00")),
        ("e1:estimate:80", D("10800.00")),
        ("e1:estimate:100", D("13500.00")),
        ("e1:cap:15500", D(15500)),
    ]
    assert [m.key for m in crossed(marks, D("10800.00"))] == ["e1:estimate:50", "e1:estimate:80"]
    assert crossed(marks, D("6749.99")) == []
    raised = thresholds(1, D(13500), D(17000))
    assert raised[-1].key == "e1:cap:17000"  # a raised cap is a threshold of its own


def test_a_line_at_a_rate_off_the_card_is_flagged() -> None:
    lines = [
        line("ts-1", "rung-1", "engineer", "6", "95", "570.00"),
        line("ts-2", "rung-1", "lead", "2", "160", "320.00"),  # the card says 140
        line("ts-3", "rung-1", "architect", "1", "200", "200.00"),  # not on the card
        line("ts-4", "rung-2", "engineer", "10", "95", "960.00"),  # 10 × 95 is 950
    ]
    invoices = [
        InvoiceLine(vendor_ref="inv-1", description="", rung="rung-1", amount=D("1090.00")),
        InvoiceLine(vendor_ref="inv-2", description="", rung="rung-2", amount=D("1000.00")),
    ]
    assert reconcile(lines, invoices, CARD) == [
        "ts-2 (rung-1): lead billed at 160 an hour; the rate card says 140",
        "ts-3 (rung-1): role 'architect' is not in the rate card, billed at 200 an hour",
        "ts-4 (rung-2): 960.00 is not 10 h × 95",
        "rung-2: invoiced 1000.00 against 960.00 of timesheets",
    ]
    assert reconcile(lines[:1], [invoices[0].model_copy(update={"amount": D(570)})], CARD) == []
    assert reconcile(lines[:1], [], CARD) == []  # not invoiced yet is no discrepancy


def test_burn_runs_per_rung_and_in_total() -> None:
    rows = burn(
        [("rung-1", "a", "accepted", D(850)), ("rung-2", "b", "planned", D(2460))],
        [line("ts-1", "rung-1", "engineer", "10", "95", "950.00")],
        [],
    )
    assert [(r.actual, r.variance, r.cumulative_estimate, r.cumulative_actual) for r in rows] == [
        (D(950), D(-100), D(850), D(950)),
        (D(0), D(0), D(3310), D(950)),
    ]


def request() -> CapRequest:
    return CapRequest(
        slug="t",
        trial_id=1,
        gate="budget-cap:e1:rung-3",
        rung="rung-3",
        currency="USD",
        spent=D("4680.75"),
        forecast=D("11383.70"),
        cap=D(15500),
    )


def test_a_raised_cap_must_let_the_rung_start() -> None:
    check_new_cap(request(), CapChoice.RAISE_CAP, "16064.45")
    check_new_cap(request(), CapChoice.RESCOPE, None)
    for choice, cap, said in [
        (
            CapChoice.RAISE_CAP,
            None,
            "raise-cap needs the new cap: add --cap AMOUNT, at least 16064.45",
        ),
        (CapChoice.RAISE_CAP, "16064.44", "does not let rung-3 start: it needs at least 16064.45"),
        (CapChoice.RAISE_CAP, "lots", "is not an amount"),
        (CapChoice.RAISE_CAP, "NaN", "does not let rung-3 start"),
        (CapChoice.RAISE_CAP, "17000.005", "has parts of a cent"),
        (CapChoice.EXIT, "20000", "--cap goes with raise-cap only"),
    ]:
        with pytest.raises(TrialsError, match=said):
            check_new_cap(request(), choice, cap)
    with pytest.raises(TrialsError, match="decide raise-cap"):
        parse_cap_choice("expand")
