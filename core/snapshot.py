"""A read-only picture of one workspace at one moment: what the risk engine and summaries read."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.model import Blocker, Dependency, Event, Person, Priority, Team, Workspace
from core.ports import UnitOfWork


@dataclass(frozen=True)
class Participation:
    """Check-in response rate of one team over a period (filled in by the rhythm, when it runs)."""

    team: str
    expected: int
    answered: int

    @property
    def rate(self) -> float:
        return self.answered / self.expected if self.expected else 1.0


@dataclass(frozen=True)
class Snapshot:
    workspace: Workspace
    people: tuple[Person, ...]
    teams: tuple[Team, ...]
    priorities: tuple[Priority, ...]
    dependencies: tuple[Dependency, ...]
    blockers: tuple[Blocker, ...]
    events: tuple[Event, ...]
    participation: tuple[Participation, ...] = field(default_factory=tuple)
    skip_dates: dict[str, frozenset[str]] = field(default_factory=dict)
    """Per team handle, ISO dates that are not working days (holidays), from the rhythm."""


EVENTS_DAYS = 120
"""How far back the risk engine, summaries and maps read the audit trail (confidence trends, last updates)."""


def risk_snapshot(uow: UnitOfWork, now: datetime) -> Snapshot:
    """What `risks`, `summary` and `map` read at `now`: one window, so the three always agree."""
    return take_snapshot(uow, events_since=now - timedelta(days=EVENTS_DAYS), now=now)


def take_snapshot(uow: UnitOfWork, *, events_since: datetime | None = None, now: datetime | None = None) -> Snapshot:
    with collector_paused():
        teams = tuple(uow.teams.list())
        archived = {t.handle for t in teams if t.archived}  # out of the rhythm: their check-ins are history
        return Snapshot(
            workspace=uow.workspace.get(),
            people=tuple(uow.people.list()),
            teams=teams,
            priorities=tuple(uow.priorities.list()),
            dependencies=tuple(uow.dependencies.list()),
            blockers=tuple(uow.blockers.list()),
            events=tuple(uow.events.list(since=events_since)),
            participation=tuple(p for p in participation(uow, now) if p.team not in archived),
            skip_dates={r.team: frozenset(d.isoformat() for d in r.skip) for r in uow.rhythms.list() if r.skip},
        )


def participation(uow: UnitOfWork, now: datetime | None = None, days: int = 14) -> tuple[Participation, ...]:
    """Per team: check-ins asked and answered over the runs that finished in the `days` before
    `now` (default: before the last run finished). Away people were not asked, so do not count."""
    from datetime import timedelta

    from core.rhythm import Tally, tallies

    runs = list(uow.checkins.runs(now - timedelta(days=days + 8) if now else None))
    end = now or max((r.closes_at for r in runs), default=None)
    if end is None:
        return ()
    done = [r for r in runs if end - timedelta(days=days) < r.closes_at <= end]
    out = []
    for team in sorted({r.team for r in done}):
        people = tallies([r for r in done if r.team == team], list(uow.checkins.responses(team)))
        total = sum(people.values(), Tally())
        out.append(Participation(team=team, expected=total.expected, answered=total.answered))
    return tuple(out)


_pause_lock = threading.Lock()
_pauses = 0
_resume_collector = False


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while a snapshot loads. Loading 10,000 people's organisation allocates
    about 300,000 objects that all stay alive (nothing to collect), and the collector, counting
    allocations, would otherwise walk them again and again: a third of the load (BENCHMARKS.md).
    The switch is process-wide and loads overlap (Slack's pool, the scheduler, Teams' threads): the
    first load in turns the collector off, the last one out turns it back on if it was on."""
    global _pauses, _resume_collector
    with _pause_lock:
        if _pauses == 0:
            _resume_collector = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _resume_collector:
                gc.enable()
