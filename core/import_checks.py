"""What an import must satisfy before anything is stored: the same invariants the commands keep."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.model import Blocker, Dependency, Event, Person, Priority, Team

TEAM_HANDLE = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
_ID_ON = re.compile(r"^([PD])-([0-9]+)$")


def _dupes(values: Iterable[object]) -> list[object]:
    seen: set[object] = set()
    return [v for v in values if v in seen or seen.add(v)]  # type: ignore[func-returns-value]


def _percent(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100


def _aware(*values: datetime | None) -> bool:
    return all(v is None or v.utcoffset() is not None for v in values)


def problems(
    people: Sequence[Person],
    teams: Sequence[Team],
    priorities: Sequence[Priority],
    dependencies: Sequence[Dependency],
    blockers: Sequence[Blocker],
    events: Sequence[Event],
) -> list[str]:
    """Every way the records break the domain's rules, as short sentences (empty when all is well)."""
    out: list[str] = []
    handles = {p.handle for p in people}
    team_handles = {t.handle for t in teams}
    prio_numbers = {p.number for p in priorities}
    dep_numbers = {d.number for d in dependencies}

    for what, dupes in (("person", _dupes(p.handle for p in people)), ("team", _dupes(t.handle for t in teams)),
                        ("priority P-", _dupes(p.number for p in priorities)),
                        ("dependency D-", _dupes(d.number for d in dependencies)),
                        ("blocker B-", _dupes(b.number for b in blockers))):  # fmt: skip
        out += [f"{what}{d} appears twice" for d in dupes]
    for p in people:
        if not p.handle.strip() or any(ch.isspace() for ch in p.handle):
            out.append(f"person handle {p.handle!r} is not usable")
        try:
            ZoneInfo(p.tz)
        except (ZoneInfoNotFoundError, ValueError):
            out.append(f"person {p.handle}: unknown time zone {p.tz!r}")
    for t in teams:
        if not TEAM_HANDLE.match(t.handle):
            out.append(f"team handle {t.handle!r} is not a lowercase slug")
        if t.parent is not None and t.parent not in team_handles:
            out.append(f"team {t.handle}: unknown parent {t.parent!r}")
        out += [f"team {t.handle}: unknown person {h!r}" for h in (*t.members, *t.leads) if h not in handles]
    for pr in priorities:
        where = f"P-{pr.number}"
        if pr.number < 1:
            out.append(f"{where}: ids start at 1")
        if not pr.title.strip():
            out.append(f"{where}: empty title")
        if pr.team is not None and pr.team not in team_handles:
            out.append(f"{where}: unknown team {pr.team!r}")
        if pr.owner is not None and pr.owner not in handles:
            out.append(f"{where}: unknown owner {pr.owner!r}")
        if pr.parent is not None and pr.parent not in prio_numbers:
            out.append(f"{where}: unknown parent P-{pr.parent}")
        if pr.confidence is not None and not _percent(pr.confidence):
            out.append(f"{where}: confidence must be a whole number 0-100")
        if not _percent(pr.progress):
            out.append(f"{where}: progress must be a whole number 0-100")
        if not _aware(pr.created_at, pr.updated_at):
            out.append(f"{where}: timestamps need a UTC offset")
    for d in dependencies:
        where = f"D-{d.number}"
        if d.number < 1:
            out.append(f"{where}: ids start at 1")
        out += [f"{where}: unknown team {t!r}" for t in (d.from_team, d.to_team) if t not in team_handles]
        if d.for_priority is not None and d.for_priority not in prio_numbers:
            out.append(f"{where}: unknown priority P-{d.for_priority}")
        out += [f"{where}: unknown person {h!r}" for h in (d.requester_owner, d.provider_owner)
                if h is not None and h not in handles]  # fmt: skip
        if not _aware(d.created_at, d.updated_at, d.answered_at, d.delivered_at):
            out.append(f"{where}: timestamps need a UTC offset")
    for b in blockers:
        where = f"B-{b.number}"
        if b.number < 1:
            out.append(f"{where}: ids start at 1")
        if b.team is not None and b.team not in team_handles:
            out.append(f"{where}: unknown team {b.team!r}")
        if b.raised_by not in handles:
            out.append(f"{where}: unknown person {b.raised_by!r}")
        if b.on is not None:
            m = _ID_ON.match(b.on)
            known = (
                (int(m.group(2)) in (prio_numbers if m.group(1) == "P" else dep_numbers)) if m else b.on in team_handles
            )
            if not known:
                out.append(f"{where}: points at unknown {b.on!r}")
        if not _aware(b.raised_at, b.resolved_at):
            out.append(f"{where}: timestamps need a UTC offset")
    out += [f"event {i + 1}: timestamp needs a UTC offset" for i, e in enumerate(events) if not _aware(e.at)]
    return out
