"""A read-only picture of one workspace at one moment: what the risk engine and summaries read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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


def take_snapshot(uow: UnitOfWork, *, events_since: datetime | None = None) -> Snapshot:
    return Snapshot(
        workspace=uow.workspace.get(),
        people=tuple(uow.people.list()),
        teams=tuple(uow.teams.list()),
        priorities=tuple(uow.priorities.list()),
        dependencies=tuple(uow.dependencies.list()),
        blockers=tuple(uow.blockers.list()),
        events=tuple(uow.events.list(since=events_since)),
    )
