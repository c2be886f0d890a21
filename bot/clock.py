"""The real clock (the fake one lives in core.fakes)."""

from __future__ import annotations

from datetime import UTC, datetime

from core import rules
from core.errors import InvalidInput


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def parse_instant(text: str) -> datetime:
    """An ISO 8601 instant; without an offset it is taken as UTC. Returned in UTC. A ValueError says
    what is wrong: not a date-time, or outside the times Flotilla keeps (core.rules)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{text!r:.60} is not an ISO date-time such as 2026-11-23T09:30+01:00") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        return rules.instant(value).astimezone(UTC)
    except InvalidInput:
        raise ValueError(
            f"{text!r:.60} is outside the times I keep ({rules.EARLIEST.year} to {rules.LATEST.year})"
        ) from None
