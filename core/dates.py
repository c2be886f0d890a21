"""Date expressions users type: 2026-12-01, today, tomorrow, fri, next fri, dec 5, 5 dec, +3d, +2w.

Every form but an ISO date is relative to the workspace's today; a relative date reaches at most
core.rules.MAX_AHEAD away (`+1000w` is a slip of the finger, not a plan), and every date stays
within the years Flotilla keeps, so no later calculation can run out of the calendar.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import InvalidInput
from core.rules import EARLIEST, LATEST, MAX_AHEAD

WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4, "april": 4, "may": 5,
    "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8, "sep": 9, "sept": 9, "september": 9,
    "oct": 10, "october": 10, "nov": 11, "november": 11, "dec": 12, "december": 12,
}  # fmt: skip
_RELATIVE = re.compile(r"^([+-])([0-9]{1,6})([dw])$")
_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_DAY = r"([0-9]{1,2})(?:st|nd|rd|th)?"
_MONTH_DAY = re.compile(rf"^([a-z]+)\.?,?\s+{_DAY}$")
_DAY_MONTH = re.compile(rf"^{_DAY}\s+([a-z]+)\.?$")
_NEXT = re.compile(r"^next\s+([a-z]+)$")
_NUMERIC = re.compile(r"^[0-9]{1,4}[/.][0-9]{1,2}(?:[/.][0-9]{1,4})?$")
DATE_HELP = "YYYY-MM-DD, today, tomorrow, a weekday (fri, next fri), a month and day (dec 5), +3d or +2w"


@dataclass(frozen=True)
class DateSpec:
    """A parsed date expression; resolved against the workspace's today by the core."""

    text: str

    def resolve(self, today: date) -> date:
        """Weekday names mean the next such day (never today): `--by fri`."""
        return resolve(self.text, today)

    def resolve_past(self, today: date) -> date:
        """Weekday names mean the last such day (today included): `--since mon`."""
        return resolve(self.text, today, past=True)


def parse_date_spec(text: str) -> DateSpec:
    """Validate the syntax now, so the parser can refuse before anything runs."""
    resolve(text, date(2000, 1, 3))
    return DateSpec(" ".join(text.strip().lower().split()))


def is_two_word(first: str, second: str) -> bool:
    """Whether two adjacent words make one date (`dec 5`, `5 dec`, `next fri`): quotes are optional."""
    joined = f"{first} {second}".strip().lower()
    for pattern in (_MONTH_DAY, _DAY_MONTH):
        m = pattern.match(joined)
        if m and any(g in MONTHS for g in m.groups()):
            return True
    m = _NEXT.match(joined)
    return m is not None and m.group(1) in WEEKDAYS


def resolve(text: str, today: date, *, past: bool = False) -> date:
    t = " ".join(text.strip().lower().split())
    try:
        found, relative = _resolve(t, text, today, past)
    except OverflowError:
        raise InvalidInput(f"'{text:.40}' is outside the dates I keep ({EARLIEST.year} to {LATEST.year}).") from None
    if relative and abs(found - today) > MAX_AHEAD:
        years = MAX_AHEAD.days // 366
        raise InvalidInput(f"'{text:.40}' is more than {years} years away: write the date itself (YYYY-MM-DD).")
    if not EARLIEST <= found <= LATEST:
        raise InvalidInput(f"'{text:.40}' is outside the dates I keep ({EARLIEST.year} to {LATEST.year}).")
    return found


def _resolve(t: str, text: str, today: date, past: bool) -> tuple[date, bool]:
    """The date, and whether it was relative to today."""
    if t == "today":
        return today, True
    if t == "tomorrow":
        return today + timedelta(days=1), True
    if t == "yesterday":
        return today - timedelta(days=1), True
    m = _NEXT.match(t)
    if m and m.group(1) in WEEKDAYS:  # `next fri` is `fri`: the first one after today
        t = m.group(1)
    if t in WEEKDAYS:
        if past:
            return today - timedelta(days=(today.weekday() - WEEKDAYS[t]) % 7), True
        ahead = (WEEKDAYS[t] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead), True
    m = _RELATIVE.match(t)
    if m:
        n = int(m.group(2)) * (1 if m.group(3) == "d" else 7)
        if n > MAX_AHEAD.days + 7:  # refused below; checked here so that timedelta never overflows
            return today + (MAX_AHEAD + timedelta(days=1)) * (1 if m.group(1) == "+" else -1), True
        return today + timedelta(days=n if m.group(1) == "+" else -n), True
    if _ISO.match(t):
        try:
            return date.fromisoformat(t), False
        except ValueError:
            raise InvalidInput(f"'{text:.40}' is not a real date.") from None
    month_day = _month_day(t)
    if month_day is not None:
        return _next_month_day(text, today, *month_day, past=past), True
    if _NUMERIC.match(t):
        raise InvalidInput(
            f"'{text:.40}' could be read two ways (day/month or month/day): write it like dec 5 or 2026-12-05."
        )
    raise InvalidInput(f"'{text:.40}' is not a date I understand: use {DATE_HELP}.")


def _month_day(t: str) -> tuple[int, int] | None:
    m = _MONTH_DAY.match(t)
    if m and m.group(1) in MONTHS:
        return MONTHS[m.group(1)], int(m.group(2))
    m = _DAY_MONTH.match(t)
    if m and m.group(2) in MONTHS:
        return MONTHS[m.group(2)], int(m.group(1))
    return None


def _next_month_day(text: str, today: date, month: int, day: int, *, past: bool) -> date:
    """Today or the next such date (the last such date, today included, for `--since`)."""
    step = -1 if past else 1
    for years in range(9):  # Feb 29 comes back within 8 years
        year = today.year + step * years
        try:
            found = date(year, month, day)
        except ValueError:
            if years == 0 and not _exists_ever(month, day):
                raise InvalidInput(f"'{text:.40}' is not a real date.") from None
            continue
        if (found >= today) if not past else (found <= today):
            return found
    raise InvalidInput(f"'{text:.40}' is not a real date.")  # pragma: no cover - every real day recurs


def _exists_ever(month: int, day: int) -> bool:
    try:
        date(2000, month, day)  # a leap year
        return True
    except ValueError:
        return False
