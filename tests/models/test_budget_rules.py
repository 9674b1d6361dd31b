"""Budget rules: thresholds, reconciliation against the rate card, burn per rung, the cap gate."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from models.budget import CostLine, InvoiceLine, burn, crossed, reconcile, thresholds
from models.cap import CapChoice, CapRequest, check_new_cap, parse_cap_choice
from models.errors import TrialsError
from models.money import minor_unit

CARD = {"engineer": D(95), "lead": D(140)}


def line(ref: str, rung: str, role: str, hours: str, rate: str, amount: str) -> CostLine:
    return CostLine(
        vendor_ref=ref, rung=rung, role=role, hours=D(hours), rate=D(rate), amount=D(amount)
    )


def test_thresholds_are_shares_of_the_estimate_and_the_cap_in_force() -> None:
    marks = thresholds(1, D(13500), D(15500), "USD")
    assert [(m.key, m.amount) for m in marks] == [
        ("e1:estimate:50", D("6750.00")),
        ("e1:estimate:80", D("10800.00")),
        ("e1:estimate:100", D("13500.00")),
        ("e1:cap:15500.00", D(15500)),
    ]
    assert [m.key for m in crossed(marks, D("10800.00"))] == ["e1:estimate:50", "e1:estimate:80"]
    assert crossed(marks, D("6749.99")) == []
    raised = thresholds(1, D(13500), D(17000), "USD")
    assert raised[-1].key == "e1:cap:17000.00"  # a raised cap is a threshold of its own


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
    assert reconcile(lines, invoices, CARD, "USD") == [
        "ts-2 (rung-1): lead billed at 160 an hour; the rate card says 140",
        "ts-3 (rung-1): role 'architect' is not in the rate card, billed at 200 an hour",
        "ts-4 (rung-2): 960.00 is not 10 h × 95",
        "rung-2: invoiced 1000.00 against 960.00 of timesheets",
    ]
    assert (
        reconcile(lines[:1], [invoices[0].model_copy(update={"amount": D(570)})], CARD, "USD") == []
    )
    assert reconcile(lines[:1], [], CARD, "USD") == []  # not invoiced yet is no discrepancy


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
        (CapChoice.RAISE_CAP, "17000.005", r"USD has 2 \(ISO 4217\); write 17000.00 or 17000.01"),
        (CapChoice.EXIT, "20000", "--cap goes with raise-cap only"),
    ]:
        with pytest.raises(TrialsError, match=said):
            check_new_cap(request(), choice, cap)
    in_dinar = request().model_copy(update={"currency": "KWD"})
    check_new_cap(in_dinar, CapChoice.RAISE_CAP, "17000.005")  # KWD has 3 places
    with pytest.raises(TrialsError, match=r"KWD has 3 \(ISO 4217\); write 17000.005 or 17000.006"):
        check_new_cap(in_dinar, CapChoice.RAISE_CAP, "17000.0055")
    with pytest.raises(TrialsError, match="decide raise-cap"):
        parse_cap_choice("expand")


@pytest.mark.parametrize(
    ("currency", "card", "hours", "amount"),
    [
        # 0.5 h × 20.125 = 10.0625: half up gives 10.063 (half even would give 10.062)
        ("KWD", {"lead": D("20.125")}, "0.5", "10.063"),
        ("KWD", {"lead": D("12.345")}, "1.5", "18.518"),
        ("USD", {"lead": D("20.25")}, "0.5", "10.13"),  # 10.125, half up
        ("JPY", {"lead": D("9500")}, "0.25", "2375"),
        ("JPY", {"lead": D("9502")}, "0.25", "2376"),  # 2375.5, half up
    ],
)
def test_a_vendor_billing_exactly_at_the_rate_card_is_not_flagged(
    currency: str, card: dict[str, D], hours: str, amount: str
) -> None:
    rate = str(card["lead"])
    lines = [line("ts-1", "rung-1", "lead", hours, rate, amount)]
    invoices = [InvoiceLine(vendor_ref="inv-1", description="", rung="rung-1", amount=D(amount))]
    assert reconcile(lines, invoices, card, currency) == []
    cut = D(amount) - D(1).scaleb(-minor_unit(currency))
    assert reconcile(
        [line("ts-1", "rung-1", "lead", hours, rate, str(cut))], [], card, currency
    ) == [f"ts-1 (rung-1): {cut} is not {hours} h × {rate}"]
