"""The one rule for showing a measured value: places by its unit, the stored value untouched."""

from __future__ import annotations

from decimal import Decimal

import pytest

from models.display import shown_value, unit_places


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        ("35.1000", "minutes", "35.1"),
        ("35.15", "minutes", "35.2"),  # half up
        ("30", "minutes", "30.0"),
        ("7.96", "business hours", "8.0"),
        ("4.2500", "percent", "4.3"),
        ("3.0660", "points of 5", "3.07"),
        ("4", "points of 5", "4.00"),
        ("12.0000", "pages", "12"),
        ("10.5", "pages", "11"),
        ("3", "files", "3"),
        ("1234.5678", "EUR per month", "1234.57"),
        ("2.5000", "widgets", "2.5"),
        ("-0.01", "percent", "0.0"),
    ],
)
def test_a_value_shows_at_its_units_places(value: str, unit: str, shown: str) -> None:
    assert shown_value(Decimal(value), unit) == shown


def test_floats_and_ints_follow_the_same_rule() -> None:
    assert shown_value(35.1, "minutes") == "35.1"
    assert shown_value(3, "points of 5") == "3.00"


def test_the_value_itself_is_not_changed() -> None:
    stored = Decimal("3.0660")
    shown_value(stored, "points of 5")
    assert stored == Decimal("3.0660") and str(stored) == "3.0660"


def test_units_are_read_by_their_words() -> None:
    assert unit_places("Minutes") == 1 and unit_places("% of tickets") == 1
    assert unit_places("percent of tickets") == 1
    assert unit_places("rehearsals") == 0
    assert unit_places("EUR per month") is None
