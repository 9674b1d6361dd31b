"""A business calendar, and the working minutes between two times in it.

A plan may state when the vendor's helpdesk is expected to work: a time zone, the weekdays,
the hours of a working day and the holidays. Service-level clocks then count only working
time (the usual reading of an SLA's "business hours"); a plan without a calendar counts
around the clock, 24x7, which is what `calendar=None` means here.

Times are counted in the calendar's own time zone with the IANA database (`zoneinfo`), so a
working day on which the clocks change is as long as the clocks say: from 09:00 to 17:00
local is eight hours on any day, and a calendar working 00:00-24:00 has a 23-hour day in
spring and a 25-hour day in autumn. A start or end of working hours that falls in the hour
skipped in spring is read with the offset before the change (`fold=0`, PEP 495).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, field_validator

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_FORM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]|24):([0-5]\d)$")
MICROSECONDS_PER_MINUTE = Decimal(60_000_000)

Interval = tuple[datetime, datetime]


class BusinessCalendar(BaseModel):
    """When the helpdesk works: a time zone, weekdays, daily hours and holidays."""

    model_config = ConfigDict(frozen=True)

    time_zone: str
    """An IANA time-zone name, e.g. "Europe/London"."""
    days: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri")
    """The weekdays worked, written `mon` to `sun`."""
    hours: str = "09:00-17:00"
    """The local start and end of a working day, "HH:MM-HH:MM"; the end may be 24:00."""
    holidays: tuple[date, ...] = ()
    """Local dates not worked, whatever their weekday."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r}: give an IANA time-zone name such as "
                "'Europe/London', 'Europe/Berlin' or 'America/New_York'"
            ) from None
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _lower_days(cls, value: object) -> object:
        if isinstance(value, list | tuple):
            return tuple(str(day).strip().lower() for day in value)
        return value

    @field_validator("days")
    @classmethod
    def _some_days(cls, value: tuple[Weekday, ...]) -> tuple[Weekday, ...]:
        if not value:
            raise ValueError("a calendar needs at least one working day: list some of mon..sun")
        return tuple(sorted(set(value), key=WEEKDAYS.index))

    @field_validator("hours")
    @classmethod
    def _start_before_end(cls, value: str) -> str:
        value = value.replace(" ", "")
        match = HOURS_FORM.match(value)
        if match is None or (match[3] == "24" and match[4] != "00"):
            raise ValueError(
                f"working hours {value!r} are not start-end local times: write e.g. '09:00-17:30'"
            )
        if _minutes(match[1], match[2]) >= _minutes(match[3], match[4]):
            raise ValueError(
                f"working hours {value!r} end before they start: the start must come first, "
                "within one day (e.g. '09:00-17:30'; '00:00-24:00' for the whole day)"
            )
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's time zone."""
        return ZoneInfo(self.time_zone)

    def day_window(self, day: date) -> Interval | None:
        """The working hours of a local date as UTC times; None on a day not worked."""
        if WEEKDAYS[day.weekday()] not in self.days or day in self.holidays:
            return None
        start_text, end_text = self.hours.split("-")
        midnight = datetime.combine(day, time(0), tzinfo=self.zone)
        start = midnight + timedelta(minutes=_minutes(*start_text.split(":")))
        end = midnight + timedelta(minutes=_minutes(*end_text.split(":")))
        return start.astimezone(UTC), end.astimezone(UTC)


def _minutes(hours: str, minutes: str) -> int:
    return int(hours) * 60 + int(minutes)


def _microseconds(span: timedelta) -> int:
    return span // timedelta(microseconds=1)


def _working_microseconds(start: datetime, end: datetime, calendar: BusinessCalendar | None) -> int:
    if end <= start:
        return 0
    if calendar is None:
        return _microseconds(end - start)
    zone = calendar.zone
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    total = 0
    while day <= last:
        window = calendar.day_window(day)
        if window is not None:
            overlap = min(end, window[1]) - max(start, window[0])
            total += max(0, _microseconds(overlap))
        day += timedelta(days=1)
    return total


def working_minutes(start: datetime, end: datetime, calendar: BusinessCalendar | None) -> Decimal:
    """Minutes of working time in [start, end); 0 when end <= start.

    With `calendar=None` every minute counts (24x7 wall-clock minutes). Otherwise only the
    calendar's working hours count, read day by day in its time zone: one step per local
    day, whatever the span's length. Times must be timezone-aware. Exact to the microsecond.
    """
    return Decimal(_working_microseconds(start, end, calendar)) / MICROSECONDS_PER_MINUTE


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """The intervals sorted, with overlapping or touching ones joined; empty ones dropped."""
    joined: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined


def working_minutes_between(
    intervals: Iterable[Interval], calendar: BusinessCalendar | None
) -> Decimal:
    """Minutes of working time covered by any of the intervals, each minute counted once.

    The intervals may overlap or come in any order (e.g. paused spans of a ticket); they are
    joined first, so the result is the working time of their union.
    """
    total = sum(_working_microseconds(start, end, calendar) for start, end in merged(intervals))
    return Decimal(total) / MICROSECONDS_PER_MINUTE
