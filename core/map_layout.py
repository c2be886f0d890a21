"""Which dependencies and teams the `map` picture (core.mapgraph) shows, and in which rows.

Colours agree with the risk engine by construction: red and amber only when a risk names the
dependency (as its subject or evidence), red when it is also blocked, declined or overdue. Green and
grey edges are named by no risk. A picture for chat has room for so many rows (MAX_ROWS a column):
past that, the most urgent dependencies are drawn and the rest counted, never silently dropped.
Small organisations show every team; large ones only the teams with something drawn, and the teams
above them (as headings), so the picture stays about the dependencies.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from core.mapgraph import ORDER, EdgeColour, MapEdge, MapGraph, MapNode, Row
from core.model import Dependency, DepState
from core.orgindex import OrgIndex
from core.risks import Risk, RiskKind
from core.snapshot import Snapshot

MAX_ROWS = 46
"""Rows one column of the picture holds (teams, and the teams above them as headings; or edge labels)."""
SMALL = 12
"""Up to this many teams in scope, every team is drawn, with dependencies or without."""

_WORDS: dict[RiskKind, str] = {
    RiskKind.OVERDUE_DEPENDENCY: "overdue",
    RiskKind.BLOCKED_DEPENDENCY: "blocked",
    RiskKind.UNANSWERED_REQUEST: "unanswered",
    RiskKind.DUE_SOON_UNACCEPTED: "due soon",
    RiskKind.SCHEDULE_CONFLICT: "too late",
    RiskKind.DEPENDENCY_CYCLE: "in a cycle",
    RiskKind.TEAM_OVERLOAD: "overloaded team",
    RiskKind.STALE_BLOCKER: "blocker",
}


def build_map(snapshot: Snapshot, risks: Sequence[Risk], today: date, team: str | None = None) -> MapGraph:
    """The whole organisation, or with `team` the dependencies of that team and every team beneath it.
    `risks`: every risk the engine found (`risks --all`): the colours say what they say."""
    index = OrgIndex(snapshot)
    naming: dict[str, list[Risk]] = {}
    for r in sorted(risks, key=lambda r: -r.score):
        for item in dict.fromkeys((r.subject, *r.evidence)):
            if item.startswith("D-"):
                naming.setdefault(item, []).append(r)
    edges = [e for d in snapshot.dependencies if (e := _edge(index, d, today, naming.get(d.id, []))) is not None]
    edges = [e for e in edges if e.from_team in index.teams and e.to_team in index.teams]
    if team is not None:
        scope = index.subtree(team)
    else:  # archived teams leave the picture, unless a dependency that still matters names them
        scope = frozenset({h for h, t in index.teams.items() if not t.archived}
                          | {h for e in edges for h in (e.from_team, e.to_team)})  # fmt: skip
    edges = [e for e in edges if e.from_team in scope or e.to_team in scope]
    edges.sort(key=lambda e: (ORDER[e.colour], _number(e.id)))
    left, right = _Column(index), _Column(index)
    drawn: list[MapEdge] = []
    hidden: dict[EdgeColour, int] = {}
    full: int | None = None  # once a colour no longer fits, no less urgent one is drawn in its place
    for e in edges:
        if (full is None or ORDER[e.colour] <= full) and len(drawn) < MAX_ROWS and left.fits(e.from_team) \
                and right.fits(e.to_team):  # fmt: skip
            left.add(e.from_team)
            right.add(e.to_team)
            drawn.append(e)
        else:
            hidden[e.colour] = hidden.get(e.colour, 0) + 1
            full = ORDER[e.colour] if full is None else min(full, ORDER[e.colour])
    if len(scope) <= SMALL:  # a small organisation shows every team, those without dependencies on the left
        for handle in sorted(scope - left.teams - right.teams - left.headings - right.headings):
            if left.fits(handle):
                left.add(handle)
    shown = left.teams | right.teams
    members = shown | left.ancestors() | right.ancestors()
    nodes = [_node(index, h, team, h in shown) for h in members]
    nodes.sort(key=lambda n: _path(index, n.handle))
    return MapGraph(focus=team, nodes=tuple(nodes), edges=tuple(drawn), as_of=today, left=left.rows(),
                    right=right.rows(), hidden=hidden, beneath=len(scope) - 1 if team is not None else 0)  # fmt: skip


class _Column:
    """The teams on one side of the picture, each under a heading naming the team above it (with that team's
    own ancestors in the heading's text, so a deep tree costs one row per group, not one per level)."""

    def __init__(self, index: OrgIndex) -> None:
        self.index = index
        self.teams: set[str] = set()

    def _parent(self, handle: str) -> str | None:
        path = _path(self.index, handle)
        return path[-2] if len(path) > 1 else None

    @property
    def headings(self) -> set[str]:
        return {p for t in self.teams if (p := self._parent(t)) is not None} - self.teams

    def _count(self, teams: set[str]) -> int:
        parents = {p for t in teams if (p := self._parent(t)) is not None}
        return len(teams) + len(parents - teams)

    def fits(self, handle: str) -> bool:
        return handle in self.teams or self._count(self.teams | {handle}) <= MAX_ROWS

    def add(self, handle: str) -> None:
        self.teams.add(handle)

    def rows(self) -> tuple[Row, ...]:
        """Teams with nobody above them in the column first (each followed by what is beneath it), then the
        groups under a heading: so a heading's group runs to the next heading or the end."""
        members = self.teams | self.headings

        def unit(h: str) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
            path = _path(self.index, h)
            root = next(a for a in path if a in members)
            return (root not in self.teams, _path(self.index, root), path)

        ordered = sorted(members, key=unit)
        out = []
        for h in ordered:
            path = _path(self.index, h)
            out.append(Row(h, len(path) - 1, h in self.teams, () if h in self.teams else path[:-1]))
        return tuple(out)

    def ancestors(self) -> set[str]:
        return {a for t in self.teams for a in _path(self.index, t)[:-1]}


def _edge(index: OrgIndex, d: Dependency, today: date, named: list[Risk]) -> MapEdge | None:
    if not d.is_open and not index.declined_still_matters(d):
        return None
    kinds = tuple(dict.fromkeys(r.kind.value for r in named))
    trouble = _trouble(index, d, today)
    if named and trouble:
        return MapEdge(d.id, d.from_team, d.to_team, d.state, EdgeColour.RED, trouble, kinds)
    if named:
        word = next((_WORDS[r.kind] for r in named if r.kind in _WORDS), "at risk")
        return MapEdge(d.id, d.from_team, d.to_team, d.state, EdgeColour.AMBER, word, kinds)
    if d.state is DepState.ACCEPTED:
        return MapEdge(d.id, d.from_team, d.to_team, d.state, EdgeColour.GREEN, "accepted")
    word = {DepState.BLOCKED: "just blocked", DepState.DECLINED: "declined"}.get(d.state, "requested")
    return MapEdge(d.id, d.from_team, d.to_team, d.state, EdgeColour.GREY, word)


def _trouble(index: OrgIndex, d: Dependency, today: date) -> str | None:
    if d.state is DepState.BLOCKED:
        return "blocked"
    if d.state is DepState.DECLINED:
        return "declined"
    if index.overdue(d, today):
        return "overdue"
    return None


def _node(index: OrgIndex, handle: str, focus: str | None, drawn: bool) -> MapNode:
    t = index.teams[handle]
    return MapNode(handle=handle, name=t.name, parent=t.parent, programme=index.programme(handle),
                   depth=len(_path(index, handle)) - 1, focus=handle == focus, drawn=drawn)  # fmt: skip


def _path(index: OrgIndex, handle: str) -> tuple[str, ...]:
    """Top-level team first, down to `handle`: sorting by it lists a tree depth-first (cycle-safe)."""
    chain = [handle]
    while True:
        parent = index.teams[chain[-1]].parent if chain[-1] in index.teams else None
        if parent is None or parent in chain or parent not in index.teams:
            return tuple(reversed(chain))
        chain.append(parent)


def _number(ref: str) -> int:
    digits = ref.partition("-")[2]
    return int(digits) if digits.isdigit() else 0


def named_by(risks: Iterable[Risk]) -> frozenset[str]:
    """Every dependency id a risk names (subject or evidence): what may be coloured."""
    return frozenset(i for r in risks for i in (r.subject, *r.evidence) if i.startswith("D-"))
