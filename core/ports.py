"""Ports the core owns. Storage and adapters implement them; tests use the fakes in core.fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, Self

from core.model import Blocker, Dependency, Event, Kind, Person, Priority, Team, Workspace


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime (UTC)."""
        ...


class WorkspaceRepo(Protocol):
    def get(self) -> Workspace: ...

    def save(self, workspace: Workspace) -> None: ...


class PeopleRepo(Protocol):
    def get(self, handle: str) -> Person | None: ...

    def list(self) -> Sequence[Person]: ...

    def add_if_absent(self, person: Person) -> bool:
        """Insert unless a person with that handle exists; True when inserted."""
        ...

    def save(self, person: Person) -> None: ...


class TeamRepo(Protocol):
    def get(self, handle: str) -> Team | None: ...

    def list(self) -> Sequence[Team]:
        """All teams, ordered by handle."""
        ...

    def save(self, team: Team) -> None:
        """Insert or update, members and leads included."""
        ...


class PriorityRepo(Protocol):
    def get(self, number: int) -> Priority | None: ...

    def list(self) -> Sequence[Priority]:
        """All priorities, ordered by number."""
        ...

    def save(self, priority: Priority) -> None: ...


class DependencyRepo(Protocol):
    def get(self, number: int) -> Dependency | None: ...

    def list(self) -> Sequence[Dependency]: ...

    def save(self, dependency: Dependency) -> None: ...


class BlockerRepo(Protocol):
    def get(self, number: int) -> Blocker | None: ...

    def list(self) -> Sequence[Blocker]: ...

    def save(self, blocker: Blocker) -> None: ...


class EventRepo(Protocol):
    def append(self, event: Event) -> None: ...

    def list(self, since: datetime | None = None) -> Sequence[Event]:
        """Events in the order they happened (seq), optionally from `since` on."""
        ...


class SettingsRepo(Protocol):
    """Per-workspace settings (risk thresholds and the like): JSON-ready values by key."""

    def get(self, key: str) -> Any: ...

    def set(self, key: str, value: Any) -> None: ...

    def all(self) -> dict[str, Any]: ...


class IdSequences(Protocol):
    def next(self, kind: Kind) -> int:
        """The next number for this kind in this workspace; never repeats, even across processes."""
        ...

    def current(self) -> dict[str, int]:
        """Last number handed out per kind prefix ("P", "D", "B")."""
        ...

    def ensure_at_least(self, kind: Kind, last: int) -> None:
        """Raise the sequence so that `next` returns more than `last` (import)."""
        ...


class UnitOfWork(Protocol):
    """One transaction on one workspace. Repositories never commit; the service does."""

    workspace: WorkspaceRepo
    people: PeopleRepo
    teams: TeamRepo
    priorities: PriorityRepo
    dependencies: DependencyRepo
    blockers: BlockerRepo
    events: EventRepo
    ids: IdSequences
    settings: SettingsRepo

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Roll back whatever was not committed."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    def __call__(self, workspace: str) -> UnitOfWork:
        """A unit of work bound to the workspace of that name (created on first use)."""
        ...
