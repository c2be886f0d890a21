"""Date expressions users type: 2026-12-01, today, tomorrow, fri, +3d, +2w."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from core.errors import InvalidInput

WEEKDAYS = {
    "mon": 0, "monday": 0, "tue": 1, "tues": 1, "tuesday": 1, "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3, "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5, "sun": 6, "sunday": 6,
}  # fmt: skip
_RELATIVE = re.compile(r"^([+-])([0-9]{1,4})([dw])$")
_ISO = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
DATE_HELP = "YYYY-MM-DD, today, tomorrow, yesterday, a weekday (fri), +3d, +2w or -1w"


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
    return DateSpec(text.strip().lower())


def resolve(text: str, today: date, *, past: bool = False) -> date:
    t = text.strip().lower()
    if t == "today":
        return today
    if t == "tomorrow":
        return today + timedelta(days=1)
    if t == "yesterday":
        return today - timedelta(days=1)
    if t in WEEKDAYS:
        if past:
            return today - timedelta(days=(today.weekday() - WEEKDAYS[t]) % 7)
        ahead = (WEEKDAYS[t] - today.weekday()) % 7 or 7
        return today + timedelta(days=ahead)
    m = _RELATIVE.match(t)
    if m:
        n = int(m.group(2)) * (1 if m.group(3) == "d" else 7)
        return today + timedelta(days=n if m.group(1) == "+" else -n)
    if _ISO.match(t):
        try:
            return date.fromisoformat(t)
        except ValueError:
            raise InvalidInput(f"'{text}' is not a real date.") from None
    raise InvalidInput(f"'{text}' is not a date I understand: use {DATE_HELP}.")
