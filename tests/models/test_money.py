"""Money stays Decimal, keeps its currency, and rounds once at the currency's minor unit."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.money import (
    CurrencyError,
    Money,
    finer_than,
    fits,
    minor_unit,
    money,
    round_money,
    to_decimal,
)

D = Decimal


def test_floats_become_decimals_through_their_text() -> None:
    assert to_decimal(0.1) == D("0.1")
    assert to_decimal(0.1) + to_decimal(0.2) == D("0.3")  # type: ignore[operator]


@pytest.mark.parametrize(
    ("currency", "places"),
    [("USD", 2), ("EUR", 2), ("KWD", 3), ("BHD", 3), ("OMR", 3), ("JPY", 0), ("KRW", 0)],
)
def test_minor_units_are_iso_4217s(currency: str, places: int) -> None:
    assert minor_unit(currency) == places


@pytest.mark.parametrize(
    ("code", "said"),
    [
        ("ABC", "'ABC' is not an ISO 4217 currency code"),
        ("kwd", "write KWD"),
        ("XAU", "XAU (Gold) is an ISO 4217 code without a minor unit"),
        ("XXX", "without a minor unit"),
        ("", "is not an ISO 4217 currency code"),
        ("US$", "is not an ISO 4217 currency code"),
    ],
)
def test_codes_that_are_not_money_are_refused_with_the_fix(code: str, said: str) -> None:
    with pytest.raises(CurrencyError, match=said.replace("(", r"\(").replace(")", r"\)")):
        minor_unit(code)


@pytest.mark.parametrize(
    ("amount", "currency", "rounded"),
    [
        ("2.675", "USD", "2.68"),  # half up, where a float would give 2.67
        ("-2.675", "USD", "-2.68"),
        ("20.1245", "KWD", "20.125"),
        ("20.1244", "KWD", "20.124"),
        ("1234.5", "JPY", "1235"),
        ("0.125", "USD", "0.13"),  # half up, not half even
    ],
)
def test_one_rounding_rule_half_up_at_the_minor_unit(
    amount: str, currency: str, rounded: str
) -> None:
    result = round_money(D(amount), currency)
    assert result == D(rounded) and str(result) == rounded


def test_an_amount_fits_its_currency_or_says_the_amounts_beside_it() -> None:
    assert fits(D("12.345"), "KWD") and fits(D("12.3"), "USD") and fits(D("500"), "JPY")
    assert not fits(D("12.345"), "USD") and not fits(D("0.5"), "JPY")
    assert finer_than(D("12.3456"), "KWD") == (
        "12.3456 has 4 decimal places; KWD has 3 (ISO 4217)",
        "write 12.345 or 12.346",
    )
    assert finer_than(D("1500.5"), "JPY") == (
        "1500.5 has 1 decimal place; JPY has none (ISO 4217): whole amounts only",
        "write 1500 or 1501",
    )


def test_amounts_are_shown_at_the_currencys_places() -> None:
    assert money(D("183.825"), "KWD") == "183.825"
    assert money(D("13500"), "USD") == "13,500.00"
    assert money(D("1500000"), "JPY") == "1,500,000"
    assert money(None, "USD") == "–"


def test_money_adds_within_one_currency_only() -> None:
    total = Money(amount=D("10.10"), currency="USD") + Money(amount=0.2, currency="USD")
    assert total == Money(amount=D("10.30"), currency="USD")
    assert str(total) == "10.30 USD"
    assert str(Money(amount=D("12.345"), currency="KWD")) == "12.345 KWD"
    with pytest.raises(ValueError, match="cannot combine USD with EUR"):
        _ = total - Money(amount=1, currency="EUR")
