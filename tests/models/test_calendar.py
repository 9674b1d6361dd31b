"""Working minutes in a business calendar: weekdays, hours, holidays, time zones and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pydantic import ValidationError

from models.calendar import BusinessCalendar, working_minutes, working_minutes_between

EVERY_DAY = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def office(**kwargs: object) -> BusinessCalendar:
    return BusinessCalendar.model_validate({"time_zone": "UTC", "hours": "09:00-17:30", **kwargs})


def test_around_the_clock_counts_wall_clock_minutes() -> None:
    # 2024-03-01 10:00 to 2024-03-04 10:30 is 3 days and 30 minutes: 3 * 1440 + 30 = 4350
    assert working_minutes(utc(2024, 3, 1, 10), utc(2024, 3, 4, 10, 30), None) == 4350


def test_nothing_when_the_end_is_not_after_the_start() -> None:
    assert working_minutes(utc(2024, 3, 1, 10), utc(2024, 3, 1, 10), None) == 0
    assert working_minutes(utc(2024, 3, 1, 11), utc(2024, 3, 1, 10), office()) == 0


def test_seconds_count_as_exact_fractions_of_a_minute() -> None:
    # 90 seconds is 1.5 minutes
    assert working_minutes(utc(2024, 3, 1, 10), utc(2024, 3, 1, 10, 1, 30), None) == Decimal("1.5")


def test_within_one_working_day() -> None:
    # Friday 2024-03-01, 08:00-12:00 UTC, office 09:00-17:30: 09:00-12:00 = 180
    assert working_minutes(utc(2024, 3, 1, 8), utc(2024, 3, 1, 12), office()) == 180


def test_overnight_counts_the_evening_and_the_morning() -> None:
    # Tue 2024-03-05 16:00 to Wed 09:45: 16:00-17:30 (90) + 09:00-09:45 (45) = 135
    assert working_minutes(utc(2024, 3, 5, 16), utc(2024, 3, 6, 9, 45), office()) == 135


def test_a_weekend_does_not_count() -> None:
    # Fri 2024-03-01 17:00 to Mon 2024-03-04 10:00: Fri 17:00-17:30 (30) + Mon 09:00-10:00 (60)
    assert working_minutes(utc(2024, 3, 1, 17), utc(2024, 3, 4, 10), office()) == 90


def test_a_holiday_does_not_count() -> None:
    # The same span with Monday 2024-03-04 a holiday: Fri 30 + nothing on Monday = 30
    calendar = office(holidays=[date(2024, 3, 4)])
    assert working_minutes(utc(2024, 3, 1, 17), utc(2024, 3, 4, 10), calendar) == 30


def test_a_long_span_counts_whole_weeks() -> None:
    # Mon 2024-01-01 00:00 to Mon 2024-12-30 00:00 is 52 weeks of 5 days of 8.5 hours:
    # 52 * 5 * 510 = 132600 minutes
    assert working_minutes(utc(2024, 1, 1), utc(2024, 12, 30), office()) == 132600


def test_working_hours_are_local_to_the_calendar_time_zone() -> None:
    # New York in March 2024 (after 10 March) is UTC-4: 09:00-17:30 local = 13:00-21:30 UTC.
    # Fri 2024-03-15 12:00-14:00 UTC holds 13:00-14:00 UTC of working time = 60
    calendar = office(time_zone="America/New_York")
    assert working_minutes(utc(2024, 3, 15, 12), utc(2024, 3, 15, 14), calendar) == 60


def test_the_spring_dst_day_in_london_is_23_hours_long() -> None:
    # On Sun 2024-03-31 London goes from GMT to BST at 01:00 UTC; the local day runs
    # 2024-03-31 00:00 UTC to 2024-03-31 23:00 UTC: 23 * 60 = 1380 minutes
    calendar = BusinessCalendar(time_zone="Europe/London", days=EVERY_DAY, hours="00:00-24:00")
    assert working_minutes(utc(2024, 3, 30, 12), utc(2024, 4, 1, 12), calendar) == (
        # Sat 12:00-24:00 GMT (720) + Sunday (1380) + Mon 00:00-13:00 BST = 23:00-12:00 UTC (780)
        720 + 1380 + 780
    )


def test_the_autumn_dst_day_in_london_is_25_hours_long() -> None:
    # Sun 2024-10-27 BST ends at 01:00 UTC: local midnight to midnight is 23:00 UTC on the
    # 26th to 00:00 UTC on the 28th, 25 * 60 = 1500 minutes
    calendar = BusinessCalendar(time_zone="Europe/London", days=["sun"], hours="00:00-24:00")
    assert working_minutes(utc(2024, 10, 21), utc(2024, 10, 30), calendar) == 1500


def test_office_hours_follow_the_clock_change() -> None:
    # Sunday 2024-03-31 09:00-17:00 in London is BST, 08:00-16:00 UTC: 08:00-09:00 UTC counts
    # 60 minutes (read as UTC it would be 0), and 16:00-17:00 UTC counts nothing
    calendar = BusinessCalendar(time_zone="Europe/London", days=["sun"], hours="09:00-17:00")
    assert working_minutes(utc(2024, 3, 31, 8), utc(2024, 3, 31, 9), calendar) == 60
    assert working_minutes(utc(2024, 3, 31, 16), utc(2024, 3, 31, 17), calendar) == 0


def test_overlapping_intervals_count_once() -> None:
    # 10:00-11:00 and 10:30-12:00 join to 10:00-12:00 = 120; 14:00-14:15 adds 15
    intervals = [
        (utc(2024, 3, 1, 14), utc(2024, 3, 1, 14, 15)),
        (utc(2024, 3, 1, 10), utc(2024, 3, 1, 11)),
        (utc(2024, 3, 1, 10, 30), utc(2024, 3, 1, 12)),
    ]
    assert working_minutes_between(intervals, office()) == 135


def test_days_are_read_in_any_case_and_order() -> None:
    assert office(days=["FRI", "mon", "fri"]).days == ("mon", "fri")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"time_zone": "Europe/Londn"}, "unknown time zone 'Europe/Londn'"),
        ({"hours": "17:30-09:00"}, "end before they start"),
        ({"hours": "09:00-09:00"}, "end before they start"),
        ({"hours": "9-5"}, "write e.g. '09:00-17:30'"),
        ({"hours": "09:00-24:30"}, "write e.g. '09:00-17:30'"),
        ({"days": []}, "at least one working day"),
        ({"days": ["monday"]}, "days"),
    ],
)
def test_refuses_a_wrong_calendar(fields: dict[str, object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        office(**fields)
