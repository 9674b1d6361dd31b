"""Money stays Decimal and keeps its currency."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.money import Money, cents, to_decimal


def test_floats_become_decimals_through_their_text() -> None:
    assert to_decimal(0.1) == Decimal("0.1")
    assert to_decimal(0.1) + to_decimal(0.2) == Decimal("0.3")  # type: ignore[operator]


def test_cents_round_half_up() -> None:
    assert cents(Decimal("2.675")) == Decimal("2.68")
    assert cents(Decimal("-2.675")) == Decimal("-2.68")


def test_money_adds_within_one_currency_only() -> None:
    total = Money(amount=Decimal("10.10"), currency="USD") + Money(amount=0.2, currency="USD")
    assert total == Money(amount=Decimal("10.30"), currency="USD")
    assert str(total) == "10.30 USD"
    with pytest.raises(ValueError, match="cannot combine USD with EUR"):
        _ = total - Money(amount=1, currency="EUR")
