"""In-memory implementations of the ports, for fast core tests and for reasoning about the contract."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any, Generic, Self, TypeVar

from core.model import Blocker, Dependency, Event, Kind, Person, Priority, Team, Workspace
from core.ports import (
    BlockerRepo,
    DependencyRepo,
    EventRepo,
    IdSequences,
    PeopleRepo,
    PriorityRepo,
    SettingsRepo,
    TeamRepo,
    WorkspaceRepo,
)

K = TypeVar("K")
V = TypeVar("V")


class FixedClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now

    def advance(self, delta: timedelta) -> None:
        self._now += delta


@dataclass
class _State:
    workspace: Workspace
    people: dict[str, Person] = field(default_factory=dict)
    teams: dict[str, Team] = field(default_factory=dict)
    priorities: dict[int, Priority] = field(default_factory=dict)
    dependencies: dict[int, Dependency] = field(default_factory=dict)
    blockers: dict[int, Blocker] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


class _Keyed(Generic[K, V]):
    def __init__(self, rows: dict[K, V], key: str) -> None:
        self._rows, self._key = rows, key

    def get(self, key: K) -> V | None:
        row = self._rows.get(key)
        return copy.deepcopy(row) if row is not None else None

    def list(self) -> Sequence[V]:
        return [copy.deepcopy(self._rows[k]) for k in sorted(self._rows)]  # type: ignore[type-var]

    def save(self, row: V) -> None:
        self._rows[getattr(row, self._key)] = copy.deepcopy(row)


class _People(_Keyed[str, Person]):
    def add_if_absent(self, person: Person) -> bool:
        if person.handle in self._rows:
            return False
        self.save(person)
        return True


class _WorkspaceRepo:
    def __init__(self, state: _State) -> None:
        self._state = state

    def get(self) -> Workspace:
        return copy.deepcopy(self._state.workspace)

    def save(self, workspace: Workspace) -> None:
        self._state.workspace = copy.deepcopy(workspace)


class _Events:
    def __init__(self, events: list[Event]) -> None:
        self._events = events

    def append(self, event: Event) -> None:
        self._events.append(copy.deepcopy(event))
        self._events[-1].seq = len(self._events)

    def list(self, since: datetime | None = None) -> Sequence[Event]:
        return [copy.deepcopy(e) for e in self._events if since is None or e.at >= since]


class _Ids:
    def __init__(self, ids: dict[str, int]) -> None:
        self._ids = ids

    def next(self, kind: Kind) -> int:
        self._ids[kind.value] = self._ids.get(kind.value, 0) + 1
        return self._ids[kind.value]

    def current(self) -> dict[str, int]:
        return dict(self._ids)

    def ensure_at_least(self, kind: Kind, last: int) -> None:
        self._ids[kind.value] = max(self._ids.get(kind.value, 0), last)


class _Settings:
    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def get(self, key: str) -> Any:
        return copy.deepcopy(self._values.get(key))

    def set(self, key: str, value: Any) -> None:
        self._values[key] = copy.deepcopy(value)

    def all(self) -> dict[str, Any]:
        return copy.deepcopy(dict(sorted(self._values.items())))


class FakeUnitOfWork:
    # Declared as the port types so that FakeStore is a UnitOfWorkFactory for mypy too
    # (protocol attributes are invariant: `_Keyed[int, Blocker]` alone is not a `BlockerRepo`).
    workspace: WorkspaceRepo
    people: PeopleRepo
    teams: TeamRepo
    priorities: PriorityRepo
    dependencies: DependencyRepo
    blockers: BlockerRepo
    events: EventRepo
    ids: IdSequences
    settings: SettingsRepo

    def __init__(self, store: FakeStore, workspace: str) -> None:
        self._store, self._name = store, workspace
        self.committed = False

    def __enter__(self) -> Self:
        self._state = copy.deepcopy(self._store.state(self._name))
        s = self._state
        self.workspace = _WorkspaceRepo(s)
        self.people = _People(s.people, "handle")
        self.teams = _Keyed[str, Team](s.teams, "handle")
        self.priorities = _Keyed[int, Priority](s.priorities, "number")
        self.dependencies = _Keyed[int, Dependency](s.dependencies, "number")
        self.blockers = _Keyed[int, Blocker](s.blockers, "number")
        self.events = _Events(s.events)
        self.ids = _Ids(s.ids)
        self.settings = _Settings(s.settings)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        self._store.states[self._name] = copy.deepcopy(self._state)
        self.committed = True

    def rollback(self) -> None:
        self._state = copy.deepcopy(self._store.state(self._name))


class FakeStore:
    """Committed state per workspace; `store("acme")` opens a unit of work like the real factory."""

    def __init__(self, tz: str = "UTC") -> None:
        self.states: dict[str, _State] = {}
        self._tz = tz

    def state(self, name: str) -> _State:
        return self.states.setdefault(name, _State(workspace=Workspace(name=name, tz=self._tz)))

    def __call__(self, workspace: str) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, workspace)

    def snapshot(self, name: str) -> Any:
        return copy.deepcopy(self.state(name))
