"""Relative date literals (TODAY, LAST_N_DAYS:n, ...) as half-open [start, end) date ranges.

"Today" is the UTC calendar day of the sandbox clock (a real org uses the running user's time zone;
the sandbox's user is on UTC). Weeks start on Sunday (en_US locale), quarters are calendar quarters.
Definitions follow the SOQL "Date Formats and Date Literals" reference.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

RANGE_LITERALS = frozenset(
    [
        "YESTERDAY",
        "TODAY",
        "TOMORROW",
        "LAST_WEEK",
        "THIS_WEEK",
        "NEXT_WEEK",
        "LAST_MONTH",
        "THIS_MONTH",
        "NEXT_MONTH",
        "LAST_90_DAYS",
        "NEXT_90_DAYS",
        "THIS_QUARTER",
        "LAST_QUARTER",
        "NEXT_QUARTER",
        "THIS_YEAR",
        "LAST_YEAR",
        "NEXT_YEAR",
    ]
)
N_LITERALS = frozenset(
    [
        "LAST_N_DAYS",
        "NEXT_N_DAYS",
        "N_DAYS_AGO",
        "LAST_N_WEEKS",
        "NEXT_N_WEEKS",
        "N_WEEKS_AGO",
        "LAST_N_MONTHS",
        "NEXT_N_MONTHS",
        "N_MONTHS_AGO",
        "LAST_N_QUARTERS",
        "NEXT_N_QUARTERS",
        "N_QUARTERS_AGO",
        "LAST_N_YEARS",
        "NEXT_N_YEARS",
        "N_YEARS_AGO",
    ]
)

_MIN_MONTH = 1 * 12  # month index of 0001-01
_MAX_MONTH = 9999 * 12 + 11  # month index of 9999-12


def _month(index: int) -> date:
    """First day of the month with index year*12 + (month-1), clamped to what `date` can hold."""
    index = max(_MIN_MONTH, min(_MAX_MONTH, index))
    return date(index // 12, index % 12 + 1, 1)


def _days(d: date, n: int) -> date:
    try:
        return d + timedelta(days=n)
    except OverflowError:
        return date.max if n > 0 else date.min


def date_range(name: str, n: int | None, today: date) -> tuple[date, date]:
    """[start, end) of literal `name` (upper case) relative to `today`; `n` for the `:n` forms."""
    k = n or 0
    k = min(k, 10**7)  # beyond any representable date anyway; keeps timedelta in range
    week = _days(today, -((today.weekday() + 1) % 7))  # the Sunday starting this week
    mi = today.year * 12 + today.month - 1  # this month's index
    qi = mi - (today.month - 1) % 3  # this quarter's first month index
    yi = today.year * 12  # this year's January index
    table: dict[str, tuple[date, date]] = {}
    if name in RANGE_LITERALS:
        table = {
            "YESTERDAY": (_days(today, -1), today),
            "TODAY": (today, _days(today, 1)),
            "TOMORROW": (_days(today, 1), _days(today, 2)),
            "LAST_WEEK": (_days(week, -7), week),
            "THIS_WEEK": (week, _days(week, 7)),
            "NEXT_WEEK": (_days(week, 7), _days(week, 14)),
            "LAST_MONTH": (_month(mi - 1), _month(mi)),
            "THIS_MONTH": (_month(mi), _month(mi + 1)),
            "NEXT_MONTH": (_month(mi + 1), _month(mi + 2)),
            "LAST_90_DAYS": (_days(today, -90), _days(today, 1)),
            "NEXT_90_DAYS": (_days(today, 1), _days(today, 91)),
            "LAST_QUARTER": (_month(qi - 3), _month(qi)),
            "THIS_QUARTER": (_month(qi), _month(qi + 3)),
            "NEXT_QUARTER": (_month(qi + 3), _month(qi + 6)),
            "LAST_YEAR": (_month(yi - 12), _month(yi)),
            "THIS_YEAR": (_month(yi), _month(yi + 12)),
            "NEXT_YEAR": (_month(yi + 12), _month(yi + 24)),
        }
    else:
        table = {
            "LAST_N_DAYS": (_days(today, -k), _days(today, 1)),
            "NEXT_N_DAYS": (_days(today, 1), _days(today, 1 + k)),
            "N_DAYS_AGO": (_days(today, -k), _days(today, 1 - k)),
            "LAST_N_WEEKS": (_days(week, -7 * k), week),
            "NEXT_N_WEEKS": (_days(week, 7), _days(week, 7 + 7 * k)),
            "N_WEEKS_AGO": (_days(week, -7 * k), _days(week, 7 - 7 * k)),
            "LAST_N_MONTHS": (_month(mi - k), _month(mi)),
            "NEXT_N_MONTHS": (_month(mi + 1), _month(mi + 1 + k)),
            "N_MONTHS_AGO": (_month(mi - k), _month(mi - k + 1)),
            "LAST_N_QUARTERS": (_month(qi - 3 * k), _month(qi)),
            "NEXT_N_QUARTERS": (_month(qi + 3), _month(qi + 3 + 3 * k)),
            "N_QUARTERS_AGO": (_month(qi - 3 * k), _month(qi - 3 * k + 3)),
            "LAST_N_YEARS": (_month(yi - 12 * k), _month(yi)),
            "NEXT_N_YEARS": (_month(yi + 12), _month(yi + 12 + 12 * k)),
            "N_YEARS_AGO": (_month(yi - 12 * k), _month(yi - 12 * k + 12)),
        }
    return table[name]


def start_of_day(d: date) -> datetime:
    """Midnight UTC at the start of `d` (aware)."""
    return datetime.combine(d, time.min, tzinfo=UTC)


def date_function(name: str) -> Callable[[date | datetime], int | date]:
    """SOQL date functions (SOQL reference, "Date Functions") over a date or an aware datetime, in
    the user's time zone (UTC here, see above). DAY_IN_WEEK: 1 = Sunday; WEEK_IN_MONTH: days 1-7 are
    week 1; WEEK_IN_YEAR: January 1-7 are week 1."""

    def day(v: date | datetime) -> date:
        return v.astimezone(UTC).date() if isinstance(v, datetime) else v

    table: dict[str, Callable[[date | datetime], int | date]] = {
        "CALENDAR_MONTH": lambda v: day(v).month,
        "CALENDAR_QUARTER": lambda v: (day(v).month - 1) // 3 + 1,
        "CALENDAR_YEAR": lambda v: day(v).year,
        "DAY_IN_MONTH": lambda v: day(v).day,
        "DAY_IN_WEEK": lambda v: day(v).isoweekday() % 7 + 1,
        "DAY_IN_YEAR": lambda v: day(v).timetuple().tm_yday,
        "DAY_ONLY": day,
        "HOUR_IN_DAY": lambda v: v.astimezone(UTC).hour if isinstance(v, datetime) else 0,
        "WEEK_IN_MONTH": lambda v: (day(v).day - 1) // 7 + 1,
        "WEEK_IN_YEAR": lambda v: (day(v).timetuple().tm_yday - 1) // 7 + 1,
    }
    return table[name]
