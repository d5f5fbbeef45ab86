"""Vietnamese public holidays as data, and working-day arithmetic as pure functions.

The statutory days off (Labour Code 1994, 2012, 2019): New Year (1 Jan); Tết Nguyên Đán, the last
day of the lunar year and the first three days (before 1 May 2013) or four days (from 2013) of the
new one; the Hùng Kings' day, 10th of the 3rd lunar month (from 2007); Reunification day (30 Apr);
Labour day (1 May); National day (2 Sep, with one adjacent day from 2021). A day off that falls on
a Saturday or Sunday is made up on the next working day. The government's yearly swaps of working
days around Tết are announced late and are not modelled. Years outside the lunar table keep only
the solar holidays.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, timedelta, timezone

MonthDay = tuple[int, int]

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Vietnam's time zone (no daylight saving): boards' business dates are dates here."""


def in_vietnam(moment: datetime) -> datetime:
    """A moment as people in Vietnam mean it: one written without a zone is Vietnam's time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=VIETNAM)


def business_date(moment: datetime) -> date:
    """The date in Vietnam at that moment (from 17:00 UTC it is already the next day there)."""
    return moment.astimezone(VIETNAM).date()


# (Tết day 1, Hùng Kings' day) as solar dates, from the `lunardate` package (Chinese calendar,
# UTC+8) once, pasted as data; Vietnam's calendar (UTC+7) differs in 2007: Tết was 17 Feb there.
LUNAR: dict[int, tuple[MonthDay, MonthDay]] = {
    2000: ((2, 5), (4, 14)),
    2001: ((1, 24), (4, 3)),
    2002: ((2, 12), (4, 22)),
    2003: ((2, 1), (4, 11)),
    2004: ((1, 22), (4, 28)),
    2005: ((2, 9), (4, 18)),
    2006: ((1, 29), (4, 7)),
    2007: ((2, 17), (4, 26)),
    2008: ((2, 7), (4, 15)),
    2009: ((1, 26), (4, 5)),
    2010: ((2, 14), (4, 23)),
    2011: ((2, 3), (4, 12)),
    2012: ((1, 23), (3, 31)),
    2013: ((2, 10), (4, 19)),
    2014: ((1, 31), (4, 9)),
    2015: ((2, 19), (4, 28)),
    2016: ((2, 8), (4, 16)),
    2017: ((1, 28), (4, 6)),
    2018: ((2, 16), (4, 25)),
    2019: ((2, 5), (4, 14)),
    2020: ((1, 25), (4, 2)),
    2021: ((2, 12), (4, 21)),
    2022: ((2, 1), (4, 10)),
    2023: ((1, 22), (4, 29)),
    2024: ((2, 10), (4, 18)),
    2025: ((1, 29), (4, 7)),
    2026: ((2, 17), (4, 26)),
    2027: ((2, 6), (4, 16)),
    2028: ((1, 26), (4, 4)),
    2029: ((2, 13), (4, 23)),
    2030: ((2, 3), (4, 12)),
    2031: ((1, 23), (4, 1)),
    2032: ((2, 11), (4, 19)),
    2033: ((1, 31), (4, 9)),
    2034: ((2, 19), (4, 28)),
    2035: ((2, 8), (4, 17)),
    2036: ((1, 28), (4, 6)),
    2037: ((2, 15), (4, 25)),
    2038: ((2, 4), (4, 14)),
    2039: ((1, 24), (4, 3)),
    2040: ((2, 12), (4, 20)),
    2041: ((2, 1), (4, 10)),
}

SOLAR: tuple[MonthDay, ...] = ((1, 1), (4, 30), (5, 1), (9, 2))
NATIONAL_DAY_EXTRA: dict[int, MonthDay] = {2021: (9, 3), 2024: (9, 3)}
"""The second National-day holiday where it was 3 Sep; otherwise 1 Sep (from 2021)."""

FIVE_DAY_TET_FROM = 2013
HUNG_KINGS_FROM = 2007
TWO_DAY_NATIONAL_FROM = 2021


def tet(year: int) -> date | None:
    """The first day of the lunar new year falling in that solar year, if the table has it."""
    entry = LUNAR.get(year)
    return date(year, *entry[0]) if entry else None


def _statutory(year: int) -> list[date]:
    days = [date(year, *month_day) for month_day in SOLAR]
    if year >= TWO_DAY_NATIONAL_FROM:
        days.append(date(year, *NATIONAL_DAY_EXTRA.get(year, (9, 1))))
    first = tet(year)
    if first is not None:
        after = 4 if year >= FIVE_DAY_TET_FROM else 3
        days.extend(first + timedelta(days=offset) for offset in range(-1, after))
    entry = LUNAR.get(year)
    if entry is not None and year >= HUNG_KINGS_FROM:
        days.append(date(year, *entry[1]))
    return sorted(days)


@functools.cache
def holidays(year: int) -> frozenset[date]:
    """The days off of that year: statutory holidays and their make-up days after weekends."""
    statutory = _statutory(year)
    off = set(statutory)
    for day in statutory:
        if day.weekday() >= 5:
            make_up = day + timedelta(days=1)
            while make_up.weekday() >= 5 or make_up in off:
                make_up += timedelta(days=1)
            off.add(make_up)
    return frozenset(off)


def is_working_day(day: date) -> bool:
    """True on a Monday to Friday that is not a day off."""
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (start itself not counted); `start` for zero."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days lie after `start` up to and including `end`."""
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(offset))
    )
