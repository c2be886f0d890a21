"""The weekly leader briefing's schedule: who gets it, and when it falls due.

Kept apart from core.rhythm (stand-ups and check-ins): a briefing is not a check-in run, it goes to
people rather than a team's channel, and each recipient may get it in their own time zone. Like the
rhythm, everything here is pure: `due` answers "whose briefing falls due between these two
instants", the scheduler claims each (scope, person, ISO week) in the database before it sends.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from core.model import Person, Team
from core.rhythm import DAY_NAMES, local_date, local_instant

ORG = "org"
"""The scope of the organisation's briefing (to the admins)."""
MEMBER = "member"
"""`--tz member`: each recipient at that local time in their own zone."""
GRACE = timedelta(hours=12)
"""A briefing found late (the scheduler was down) is still sent within this; older ones are skipped."""


@dataclass(frozen=True)
class BriefingSchedule:
    scope: str
    """ORG, or the handle of a team with teams beneath it."""
    day: int
    """Weekday, Monday = 0."""
    at: time
    tz: str | None = None
    """An IANA zone for everyone; MEMBER for each recipient's own; None: the team's zone (org: the workspace's)."""

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "day": DAY_NAMES[self.day], "at": self.at.strftime("%H:%M"), "tz": self.tz}

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> BriefingSchedule:
        return cls(scope=str(d["scope"]), day=DAY_NAMES.index(d["day"]), at=time.fromisoformat(d["at"]),
                   tz=d.get("tz") or None)  # fmt: skip


@dataclass(frozen=True)
class Due:
    """One person's briefing, due at one instant."""

    scope: str
    person: str
    period: str
    """The ISO week of the local date it falls on (`2026-W48`): one briefing per person, scope and week."""
    at: datetime
    tz: str

    @property
    def key(self) -> str:
        return f"briefing:{self.scope}:{self.period}:@{self.person}"


def period_of(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def recipients(scope: str, teams: Sequence[Team], people: Sequence[Person]) -> tuple[str, ...]:
    """The leads of a team with teams beneath it; for the org, the admins. A team without child teams
    (or archived away) has no leader briefing: its leads have stand-ups and check-ins for that."""
    if scope == ORG:
        return tuple(sorted(p.handle for p in people if p.admin))
    team = next((t for t in teams if t.handle == scope), None)
    if team is None or not any(t.parent == scope for t in teams):
        return ()
    return tuple(team.leads)


def zone_of(s: BriefingSchedule, person: Person | None, default: str) -> str:
    if s.tz == MEMBER:
        return person.tz if person is not None and person.tz else default
    return s.tz or default


def due(
    schedules: Iterable[BriefingSchedule],
    teams: Sequence[Team],
    people: Sequence[Person],
    default_tz: dict[str, str],
    t0: datetime,
    t1: datetime,
) -> list[Due]:
    """Every (scope, person) briefing whose local weekday and time falls in (t0, t1], in order of time.
    `default_tz` gives each scope's zone when the schedule names none (the team's, or the workspace's)."""
    found: list[Due] = []
    if t1 <= t0:
        return found
    by_handle = {p.handle: p for p in people}
    for s in schedules:
        for person in recipients(s.scope, teams, people):
            tz = zone_of(s, by_handle.get(person), default_tz.get(s.scope, "UTC"))
            day, last = local_date(t0, tz) - timedelta(days=1), local_date(t1, tz) + timedelta(days=1)
            while day <= last:
                if day.weekday() == s.day:
                    at = local_instant(day, s.at, tz)
                    if t0 < at <= t1:
                        found.append(Due(s.scope, person, period_of(day), at, tz))
                day += timedelta(days=1)
    found.sort(key=lambda d: (d.at, d.scope, d.person))
    return found


EARLIEST, LATEST = timedelta(hours=-12), timedelta(hours=14)
"""The widest UTC offsets a zone has: a local time happens within these of the same wall-clock time in UTC."""


def may_fall_due(s: BriefingSchedule, t0: datetime, t1: datetime) -> bool:
    """Whether the schedule can fall due in (t0, t1] for anybody, whatever their zone: the scheduler asks
    this every few seconds, before it reads who the recipients are and where they live."""
    day, last = t0.astimezone(UTC).date() - timedelta(days=1), t1.astimezone(UTC).date() + timedelta(days=1)
    while day <= last:
        if day.weekday() == s.day:
            wall = datetime.combine(day, s.at, tzinfo=UTC)  # that wall-clock time, read as UTC
            if wall - LATEST <= t1 and wall - EARLIEST > t0:
                return True
        day += timedelta(days=1)
    return False


def next_at(s: BriefingSchedule, tz: str, after: datetime) -> datetime:
    """When this schedule next falls due after `after`, in zone `tz` (for `rhythm show`)."""
    day = local_date(after, tz)
    for _ in range(8):
        if day.weekday() == s.day:
            at = local_instant(day, s.at, tz)
            if at > after:
                return at
        day += timedelta(days=1)
    raise AssertionError("a weekly schedule falls due within eight days")
