"""Input checks shared by handlers: dates against today, text lengths."""

from __future__ import annotations

from datetime import date

from core.dates import DateSpec
from core.errors import InvalidInput
from core.service import Call

MAX_TITLE = 200
MAX_TEXT = 1000


def future_date(call: Call, spec: DateSpec, what: str) -> date:
    """Resolve a date that must not be in the past (today is fine)."""
    d = spec.resolve(call.today)
    if d < call.today:
        raise InvalidInput(f"The {what} {d.isoformat()} is in the past (today is {call.today.isoformat()}).")
    return d


def text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    value = value.strip()
    if not value:
        raise InvalidInput(f"The {what} can't be empty.")
    if len(value) > limit:
        raise InvalidInput(f"The {what} is too long ({len(value)} characters; at most {limit}).")
    return value
