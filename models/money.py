"""Money: exact Decimal amounts in an ISO 4217 currency, never a float.

The one rounding rule (used by the engine, the simulator, the store and the reports):
an amount that is worked out (hours × rate, a share of an amount, a forecast) is
rounded once, half up, to its currency's ISO 4217 minor unit: 2 decimal places for USD
and EUR, 3 for KWD, BHD and OMR, 0 for JPY and KRW. Sums of amounts that are already
rounded are exact and are not rounded again. Amounts a person writes (rates, estimates,
caps) must already fit the minor unit: they are refused, not rounded.

Source of the minor units: the ISO 4217 list (table A.1), as published by SIX and
packaged by `iso4217`.
"""

from __future__ import annotations

from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import cache
from typing import Annotated

from iso4217 import Currency
from pydantic import BaseModel, BeforeValidator, ConfigDict


def to_decimal(value: object) -> object:
    """Turn YAML/JSON numbers into Decimals through their text, so 0.1 stays 0.1."""
    if isinstance(value, bool):
        return value  # let pydantic reject it as a wrong type
    if isinstance(value, float | int):
        return Decimal(str(value))
    return value


Amount = Annotated[Decimal, BeforeValidator(to_decimal)]


class CurrencyError(ValueError):
    """A currency code that is not ISO 4217, or one that is not money (gold, test codes)."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; {fix}")
        self.problem = problem
        self.fix = fix


@cache
def minor_unit(currency: str) -> int:
    """The decimal places of `currency` (ISO 4217 minor unit): 2 for USD, 3 for KWD, 0 for JPY.

    Raises CurrencyError for a code that is not in ISO 4217, or whose entry has no minor
    unit (precious metals, SDR, test and "no currency" codes), which no rate card is in.
    """
    try:
        entry = Currency(currency)
    except ValueError:
        named = [c for c in Currency if currency.isdigit() and c.number == int(currency)]
        if named:
            raise CurrencyError(
                f"{currency} is ISO 4217's number for {named[0].code}; plans use the letters",
                f"write {named[0].code}",
            ) from None
        if currency != currency.upper() and currency.upper() in Currency.__members__:
            raise CurrencyError(
                f"{currency!r}: currency codes are written in capitals", f"write {currency.upper()}"
            ) from None
        raise CurrencyError(
            f"{currency!r} is not an ISO 4217 currency code",
            "write the three capital letters of the currency the vendor invoices in, "
            "e.g. USD, EUR, GBP, KWD or JPY",
        ) from None
    if entry.exponent is None:
        raise CurrencyError(
            f"{currency} ({entry.currency_name}) is an ISO 4217 code without a minor unit, "
            "not a currency a vendor invoices in",
            "write the invoicing currency, e.g. USD",
        )
    return int(entry.exponent)


def unit_of(currency: str) -> Decimal:
    """The smallest amount of `currency`: 0.01 for USD, 0.001 for KWD, 1 for JPY."""
    return Decimal(1).scaleb(-minor_unit(currency))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """`amount` rounded half up to the minor unit of `currency` (the rule in this module)."""
    return amount.quantize(unit_of(currency), rounding=ROUND_HALF_UP)


def fits(amount: Decimal, currency: str) -> bool:
    """True when `amount` is a whole number of the currency's minor units."""
    return amount.is_finite() and amount == amount.quantize(unit_of(currency))


def finer_than(amount: Decimal, currency: str) -> tuple[str, str]:
    """Why `amount` cannot be an amount of `currency`, and the fix: the amounts beside it.

    For 12.3456 KWD: ("12.3456 has 4 decimal places; KWD has 3 (ISO 4217)",
    "write 12.345 or 12.346").
    """
    unit = unit_of(currency)
    places = minor_unit(currency)
    down = amount.quantize(unit, rounding=ROUND_FLOOR)
    written = -int(amount.as_tuple().exponent)
    allowed = f"{places} (ISO 4217)" if places else "none (ISO 4217): whole amounts only"
    return (
        f"{amount} has {written} decimal place{'s' if written != 1 else ''}; "
        f"{currency} has {allowed}",
        f"write {down} or {down + unit}",
    )


def money(amount: Decimal | None, currency: str) -> str:
    """An amount as people read it: separators and the currency's places, or a dash for none."""
    if amount is None:
        return "–"
    places = minor_unit(currency)
    return f"{round_money(amount, currency):,.{places}f}"


def plain(amount: Decimal, currency: str) -> str:
    """An amount as a person types it back: the currency's places, no separators (16064.45)."""
    return str(round_money(amount, currency))


class Money(BaseModel):
    """An amount in one currency; adding two currencies is an error."""

    model_config = ConfigDict(frozen=True)

    amount: Amount
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __str__(self) -> str:
        return f"{money(self.amount, self.currency)} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
