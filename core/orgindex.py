"""Look-ups over a Snapshot that summaries and the map share: who is where, what serves what."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime

from core.graph import blocked_since, decline_unhandled, last_touches, promised
from core.model import Blocker, BlockerState, Dependency, Priority, Team
from core.rollup import Rollup, rollups
from core.snapshot import Snapshot


class OrgIndex:
    """Built once per command from a Snapshot; read-only afterwards."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.teams: dict[str, Team] = {t.handle: t for t in snapshot.teams}
        self.priorities: dict[str, Priority] = {p.id: p for p in snapshot.priorities}
        self.dependencies: dict[str, Dependency] = {d.id: d for d in snapshot.dependencies}
        self.blockers: dict[str, Blocker] = {b.id: b for b in snapshot.blockers}
        self.names: dict[str, str] = {p.handle: p.name for p in snapshot.people}
        self.children: dict[str, list[str]] = {}
        for t in snapshot.teams:
            if t.parent is not None:
                self.children.setdefault(t.parent, []).append(t.handle)

    # -- the team tree ----------------------------------------------------------------------

    def subtree(self, handle: str) -> frozenset[str]:
        """The team and every team beneath it."""
        found, todo = {handle}, [handle]
        while todo:
            for child in self.children.get(todo.pop(), []):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return frozenset(found)

    def programme(self, handle: str) -> str:
        """The top-level team above `handle` (itself when it has no parent); cycle-safe."""
        seen = {handle}
        current = handle
        while True:
            parent = self.teams[current].parent if current in self.teams else None
            if parent is None or parent in seen:
                return current
            seen.add(parent)
            current = parent

    # -- priorities -------------------------------------------------------------------------

    def chain(self, priority_id: str) -> list[Priority]:
        """The priority and the ones it aligns to, up to an org priority (cycle-safe)."""
        out: list[Priority] = []
        seen: set[str] = set()
        current = self.priorities.get(priority_id)
        while current is not None and current.id not in seen:
            out.append(current)
            seen.add(current.id)
            current = self.priorities.get(f"P-{current.parent}") if current.parent else None
        return out

    def org_priority(self, record: str) -> Priority | None:
        """The org-level priority a record (P-n, D-n, B-n) ultimately serves, if any."""
        pid = self.serves(record)
        if pid is None:
            return None
        top = self.chain(pid)
        return top[-1] if top and top[-1].team is None else None

    def serves(self, record: str, depth: int = 0) -> str | None:
        """The priority id a record is for: itself, a dependency's `--for`, a blocker's target's."""
        if depth > 3:
            return None
        if record in self.priorities:
            return record
        d = self.dependencies.get(record)
        if d is not None:
            return f"P-{d.for_priority}" if d.for_priority else None
        b = self.blockers.get(record)
        if b is not None and b.on is not None:
            return self.serves(b.on, depth + 1)
        return None

    # -- which records belong to a set of teams -------------------------------------------------

    def touches(self, item: str, teams: frozenset[str]) -> bool:
        """Whether a record id or team handle belongs to, or points at, one of `teams`."""
        if item in self.teams:
            return item in teams
        p = self.priorities.get(item)
        if p is not None:
            return p.team in teams
        d = self.dependencies.get(item)
        if d is not None:
            return d.from_team in teams or d.to_team in teams
        b = self.blockers.get(item)
        if b is not None:
            return b.team in teams or (b.on is not None and b.on != item and self.touches(b.on, teams))
        return False

    def any_touches(self, items: Iterable[str], teams: frozenset[str]) -> bool:
        return any(self.touches(i, teams) for i in items)

    # -- state of dependencies ----------------------------------------------------------------

    def overdue(self, d: Dependency, today: date) -> bool:
        return d.is_open and promised(d) < today

    def declined_still_matters(self, d: Dependency) -> bool:
        """The risk engine's rule (core.graph.decline_unhandled), so summaries and maps agree with `risks`."""
        served = self.priorities.get(f"P-{d.for_priority}") if d.for_priority else None
        return decline_unhandled(d, served, self.last_touch.get(served.id) if served else None)

    @functools.cached_property
    def rollups(self) -> dict[int, Rollup]:
        """Priority number -> the roll-up of its open aligned children (core.rollup)."""
        return rollups(self.snapshot.priorities)

    @functools.cached_property
    def last_touch(self) -> dict[str, datetime]:
        return last_touches(self.snapshot.events)

    @functools.cached_property
    def blocked_since(self) -> dict[str, datetime]:
        return blocked_since(self.snapshot.events)

    def open_blockers(self) -> list[Blocker]:
        return [b for b in self.snapshot.blockers if b.state is BlockerState.OPEN]

    def name(self, handle: str | None) -> str | None:
        return None if handle is None else self.names.get(handle, handle)
