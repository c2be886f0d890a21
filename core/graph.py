"""The team / priority / dependency graph of one snapshot, indexed once for the risk engine.

Everything here is linear in the size of the workspace: records are put in dicts first, and
chains (alignment parents, team parents) are walked with memoisation and cycle guards, because
bad data (an alignment loop imported from elsewhere) must never hang the engine.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from core.model import Blocker, BlockerState, Dependency, DepState, Event, Priority, Team
from core.snapshot import Snapshot

RELIABILITY_WINDOW_DAYS = 90


@dataclass(frozen=True)
class Reliability:
    """Commitment reliability of a providing team: accepted dependencies delivered by their committed date."""

    team: str
    on_time: int
    due: int
    """Accepted dependencies whose committed date has come in the window (or that were delivered in it)."""

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        rate = self.rate
        return round(rate * 100) if rate is not None else None

    def to_json(self) -> dict[str, object]:
        return {
            "on_time": self.on_time,
            "due": self.due,
            "percent": self.percent,
            "window_days": RELIABILITY_WINDOW_DAYS,
        }


def promised(d: Dependency) -> date:
    """The date a dependency is expected: the committed date once accepted, else the needed-by date."""
    return d.committed or d.needed_by


def blocked_since(events: Iterable[Event]) -> dict[str, datetime]:
    """When each dependency was last blocked, from the audit trail (dependency id -> moment)."""
    return {e.subject: e.at for e in events if e.kind == "dependency.blocked"}


def last_touches(events: Iterable[Event]) -> dict[str, datetime]:
    """When each priority was last changed in any way, from the audit trail (priority id -> moment)."""
    return {e.subject: e.at for e in events if e.subject.startswith("P-") and e.kind.startswith("priority.")}


def days_since(now: datetime, then: datetime) -> int:
    """Whole days from `then` to `now`, never negative: how every age in risks and summaries is told."""
    return max(0, (now - then).days)


def decline_unhandled(d: Dependency, served: Priority | None, last_touch: datetime | None) -> bool:
    """A declined request endangers the open priority it served until that priority is re-planned
    (changed after the decline); one that served no priority endangers nothing."""
    if d.state is not DepState.DECLINED or served is None or not served.is_open:
        return False
    last = max(served.updated_at, last_touch or served.updated_at)
    return last <= (d.answered_at or d.updated_at)


def reliability_of(team: str, deps: Iterable[Dependency], today: date) -> Reliability:
    """Share of `team`'s accepted dependencies delivered by their committed date over the last 90 days."""
    on_time = due = 0
    start = today - timedelta(days=RELIABILITY_WINDOW_DAYS)
    for d in deps:
        if d.to_team != team:
            continue
        settled = _settled(d, start, today)
        if settled is not None:
            due += 1
            on_time += settled
    return Reliability(team, on_time, due)


def _settled(d: Dependency, start: date, today: date) -> bool | None:
    """True delivered on time, False late or still open past its date, None when it does not count."""
    if d.committed is None or d.state in (DepState.DECLINED, DepState.CANCELLED):
        return None
    if d.delivered_at is not None:
        delivered = d.delivered_at.date()
        if not start <= min(delivered, d.committed) <= today:
            return None
        return delivered <= d.committed
    if start <= d.committed < today:
        return False
    return None


def reliability_by_team(deps: Iterable[Dependency], today: date) -> dict[str, Reliability]:
    on_time: dict[str, int] = defaultdict(int)
    due: dict[str, int] = defaultdict(int)
    start = today - timedelta(days=RELIABILITY_WINDOW_DAYS)
    for d in deps:
        settled = _settled(d, start, today)
        if settled is not None:
            due[d.to_team] += 1
            on_time[d.to_team] += settled
    return {t: Reliability(t, on_time[t], n) for t, n in due.items()}


def team_cycles(edges: Iterable[tuple[str, str, str]]) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
    """Strongly connected groups of teams (two or more) in a dependency graph.

    `edges` are (from_team, to_team, dependency id). Returns (teams sorted, dependency ids inside
    the group sorted by number), groups ordered by their first team. Iterative Tarjan: no recursion
    limit on long chains.
    """
    graph: dict[str, list[str]] = defaultdict(list)
    ids_by_edge: dict[tuple[str, str], list[str]] = defaultdict(list)
    for a, b, dep_id in edges:
        if a == b:
            continue
        if (a, b) not in ids_by_edge:
            graph[a].append(b)
        ids_by_edge[(a, b)].append(dep_id)
    nodes = sorted(set(graph) | {b for targets in graph.values() for b in targets})
    for targets in graph.values():
        targets.sort()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[tuple[str, ...]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, i = work[-1]
            targets = graph.get(node, [])
            if i < len(targets):
                work[-1] = (node, i + 1)
                nxt = targets[i]
                if nxt not in index:
                    index[nxt] = low[nxt] = counter
                    counter += 1
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    group.append(top)
                    if top == node:
                        break
                if len(group) > 1:
                    groups.append(tuple(sorted(group)))
    out: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for teams in sorted(groups):
        members = set(teams)
        ids = [i for (a, b), found in ids_by_edge.items() if a in members and b in members for i in found]
        out.append((teams, tuple(sorted(ids, key=_id_number))))
    return out


def _id_number(ref: str) -> int:
    return int(ref.partition("-")[2] or 0)


class Graph:
    """Indexes over one snapshot: who leads what, alignment chains, what depends on what."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.teams: dict[str, Team] = {t.handle: t for t in snapshot.teams}
        self.priorities: dict[int, Priority] = {p.number: p for p in snapshot.priorities}
        self.dependencies: dict[int, Dependency] = {d.number: d for d in snapshot.dependencies}
        self.admins: list[str] = sorted(p.handle for p in snapshot.people if p.admin)
        self.children: dict[int, list[int]] = defaultdict(list)
        """Open priorities aligned to each priority."""
        for p in snapshot.priorities:
            if p.parent is not None and p.is_open:
                self.children[p.parent].append(p.number)
        self.incoming: dict[str, list[Dependency]] = defaultdict(list)
        """Open dependencies by providing team."""
        for d in snapshot.dependencies:
            if d.is_open:
                self.incoming[d.to_team].append(d)
        self._open: set[int] = {p.number for p in snapshot.priorities if p.is_open}
        self._dependents: dict[int, tuple[int, ...]] = {}
        self._chains: dict[int, tuple[int, ...]] = {}
        self._team_chains: dict[str, tuple[str, ...]] = {}

    # --- people -------------------------------------------------------------------------------

    def first_lead(self, team: str | None) -> str | None:
        t = self.teams.get(team) if team else None
        return t.leads[0] if t and t.leads else None

    def responsible(self, team: str | None) -> str | None:
        """Who answers for a team: its first lead, else the nearest parent team's, else the first admin."""
        if team is not None:
            for t in (team, *self.team_ancestors(team)):
                lead = self.first_lead(t)
                if lead:
                    return lead
        return self.first_admin()

    def leads(self, team: str | None) -> tuple[str, ...]:
        t = self.teams.get(team) if team else None
        return tuple(t.leads) if t else ()

    def first_admin(self) -> str | None:
        return self.admins[0] if self.admins else None

    # --- alignment ----------------------------------------------------------------------------

    def ancestors(self, number: int) -> tuple[int, ...]:
        """The alignment chain above a priority, nearest first, up to org level (cycle-safe)."""
        if number in self._chains:
            return self._chains[number]
        path: list[int] = []
        seen = {number}
        current = self.priorities.get(number)
        while current is not None and current.parent is not None and current.parent not in seen:
            parent = current.parent
            if parent in self._chains:
                path.append(parent)
                path.extend(x for x in self._chains[parent] if x not in seen)
                break
            path.append(parent)
            seen.add(parent)
            current = self.priorities.get(parent)
        chain = tuple(p for p in path if p in self.priorities)
        self._chains[number] = chain
        return chain

    def org_priority(self, number: int) -> int | None:
        """The org-level priority a priority ultimately serves (itself when org-level)."""
        p = self.priorities.get(number)
        if p is None:
            return None
        if p.team is None:
            return p.number
        for a in self.ancestors(number):
            if self.priorities[a].team is None:
                return a
        return None

    def team_ancestors(self, team: str) -> tuple[str, ...]:
        """Parent, grandparent, ... of a team (cycle-safe)."""
        if team in self._team_chains:
            return self._team_chains[team]
        chain: list[str] = []
        seen = {team}
        t = self.teams.get(team)
        while t is not None and t.parent is not None and t.parent not in seen:
            chain.append(t.parent)
            seen.add(t.parent)
            t = self.teams.get(t.parent)
        self._team_chains[team] = tuple(chain)
        return self._team_chains[team]

    def common_ancestor(self, teams: Sequence[str]) -> str | None:
        """The nearest team above all of `teams` (None when they share no parent)."""
        if not teams:
            return None
        shared = set(self.team_ancestors(teams[0]))
        for t in teams[1:]:
            shared &= set(self.team_ancestors(t))
        for a in self.team_ancestors(teams[0]):
            if a in shared:
                return a
        return None

    def dependents(self, dep: Dependency) -> tuple[int, ...]:
        """Open priorities that depend on a dependency: the one it serves and its alignment ancestors."""
        served = dep.for_priority
        if served is None:
            return ()
        found = self._dependents.get(served)
        if found is None:
            if served not in self.priorities:
                found = ()
            else:
                found = tuple(n for n in (served, *self.ancestors(served)) if n in self._open)
            self._dependents[served] = found
        return found

    # --- schedule -----------------------------------------------------------------------------

    def slack(self, dep: Dependency, chain: tuple[int, ...] | None = None) -> tuple[int, int] | None:
        """(days of slack, the priority that sets it) along the chain the dependency serves.

        The tightest due date among the priority it serves and that priority's ancestors, minus
        the date the dependency arrives (committed, else needed-by); negative slack is a conflict.
        None when nothing in the chain has a due date.
        """
        arrives = promised(dep)
        best: tuple[int, int] | None = None
        for n in self.dependents(dep) if chain is None else chain:
            due = self.priorities[n].due
            if due is None:
                continue
            days = (due - arrives).days
            if best is None or days < best[0]:
                best = (days, n)
        return best

    # --- blockers -----------------------------------------------------------------------------

    def blocker_provider(self, b: Blocker) -> str | None:
        """The team that can lift a blocker: the team it is on, its dependency's provider, else its own team."""
        on = b.on
        if on is not None and on.startswith("D-") and on[2:].isdigit():
            d = self.dependencies.get(int(on[2:]))
            return d.to_team if d else b.team
        if on is not None and on.startswith("P-") and on[2:].isdigit():
            p = self.priorities.get(int(on[2:]))
            return b.team or (p.team if p else None)
        if on is not None and on in self.teams:
            return on
        return b.team

    def lifts(self, b: Blocker) -> str | None:
        """Who should lift a blocker: the lead answering for the team that can, else whoever raised it."""
        team = self.blocker_provider(b)
        return self.responsible(team) if team else b.raised_by

    # --- who acts on a dependency ---------------------------------------------------------------

    def provider_side(self, d: Dependency) -> str | None:
        """Who acts for the providing team: the owner it named, else the lead answering for it."""
        return d.provider_owner or self.responsible(d.to_team)

    def acts_on(self, d: Dependency) -> str | None:
        """Who should act on a dependency in trouble, as the risk engine names them: the providing side
        answers, unblocks or delivers it; after a decline, the requesting side re-plans (the owner of
        the priority it served, else its requester)."""
        if d.state is DepState.DECLINED:
            p = self.priorities.get(d.for_priority) if d.for_priority is not None else None
            if p is not None:
                return p.owner or self.responsible(p.team)
            return d.requester_owner or self.responsible(d.from_team)
        return self.provider_side(d)

    def open_blockers(self) -> list[Blocker]:
        return [b for b in self.snapshot.blockers if b.state is BlockerState.OPEN]
