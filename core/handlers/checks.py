"""Input checks shared by handlers: dates against today, text lengths."""

from __future__ import annotations

import re
from datetime import date

from core.dates import DateSpec
from core.errors import InvalidInput
from core.limits import MAX_TEXT, MAX_TITLE
from core.service import Call

__all__ = ["MAX_TEXT", "MAX_TITLE", "future_date", "text"]
# C0/C1 controls (but tab and newline), and bidi overrides that make text read differently than stored.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAK = re.compile(r"\r\n?|[\u2028\u2029\x85]")
"""Line breaks as other systems write them (Windows' CR LF from a multi-line card input, old Mac CR,
Unicode's line and paragraph separators): stored as the one newline every renderer understands."""


def future_date(call: Call, spec: DateSpec, what: str) -> date:
    """Resolve a date that must not be in the past (today is fine)."""
    d = spec.resolve(call.today)
    if d < call.today:
        raise InvalidInput(f"The {what} {d.isoformat()} is in the past (today is {call.today.isoformat()}).")
    return d


def text(value: str, what: str, limit: int = MAX_TEXT, *, field: str | None = None) -> str:
    value = _LINE_BREAK.sub("\n", value).strip()
    if not value:
        raise InvalidInput(f"The {what} can't be empty.", field=field)
    if len(value) > limit:
        raise InvalidInput(f"The {what} is too long ({len(value)} characters; at most {limit}).", field=field)
    bad = _CONTROL.search(value)
    if bad:
        raise InvalidInput(f"The {what} contains an invisible control character (U+{ord(bad.group()):04X}); "
                           "remove it.", field=field)  # fmt: skip
    return value
