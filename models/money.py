"""Money: a Decimal amount with its currency, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict

CENT = Decimal("0.01")


def to_decimal(value: object) -> object:
    """Turn YAML/JSON numbers into Decimals through their text, so 0.1 stays 0.1."""
    if isinstance(value, bool):
        return value  # let pydantic reject it as a wrong type
    if isinstance(value, float | int):
        return Decimal(str(value))
    return value


Amount = Annotated[Decimal, BeforeValidator(to_decimal)]


def money(amount: Decimal | None) -> str:
    """An amount as people read it: thousands separators and cents, or a dash for none."""
    return "–" if amount is None else f"{amount:,.2f}"


def cents(value: Decimal) -> Decimal:
    """Round to the cent, half up, as invoices do."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


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
        return f"{cents(self.amount):,.2f} {self.currency}"

    def _same_currency(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")
