"""Working days: Monday to Friday, minus a team's skip dates (holidays from its rhythm).

Counting is arithmetic on whole weeks, so a risk check on 20,000 dependencies stays cheap.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

NO_SKIPS: frozenset[str] = frozenset()


def is_working_day(day: date, skip: Collection[str] = NO_SKIPS) -> bool:
    return day.weekday() < 5 and (not skip or day.isoformat() not in skip)


def _weekdays_upto(day: date) -> int:
    """Weekdays from a fixed Monday up to and including `day` (any consistent origin will do)."""
    n = day.toordinal() - 1  # date(1, 1, 1) is a Monday, ordinal 1
    weeks, rest = divmod(n, 7)
    return weeks * 5 + min(rest + 1, 5)


def working_days_between(start: date, end: date, skip: Collection[str] = NO_SKIPS) -> int:
    """Working days after `start` up to and including `end`; 0 when `end` is not after `start`.

    Requested on Friday, checked on Tuesday: 2 (Monday and Tuesday).
    """
    if end <= start:
        return 0
    count = _weekdays_upto(end) - _weekdays_upto(start)
    if skip:
        lo, hi = start.isoformat(), end.isoformat()
        count -= sum(1 for s in skip if lo < s <= hi and date.fromisoformat(s).weekday() < 5)
    return count


def add_working_days(start: date, days: int, skip: Collection[str] = NO_SKIPS) -> date:
    """The date `days` working days after `start` (`start` itself when days <= 0)."""
    day = start
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day, skip):
            left -= 1
    return day
