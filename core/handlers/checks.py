"""Input checks shared by handlers: dates against today; the text rules live in core.rules."""

from __future__ import annotations

from datetime import date

from core.context import Call
from core.dates import DateSpec
from core.errors import InvalidInput
from core.rules import MAX_TEXT, MAX_TITLE, text

__all__ = ["MAX_TEXT", "MAX_TITLE", "future_date", "text"]


def future_date(call: Call, spec: DateSpec, what: str) -> date:
    """Resolve a date that must not be in the past (today is fine)."""
    d = spec.resolve(call.today)
    if d < call.today:
        raise InvalidInput(f"The {what} {d.isoformat()} is in the past (today is {call.today.isoformat()}).")
    return d
