"""What the `map` picture shows: the teams that ask (left) and the teams that provide (right), each
open dependency a line between them through its labelled id, coloured by what `risks` says of it.
The core decides what to draw and how many rows each column needs; the bot draws it (PNG).

Colours agree with the risk engine by construction: red and amber only when a risk names the
dependency (as its subject or evidence), red when it is also blocked, declined or overdue. Green and
grey edges are named by no risk. A picture for chat has room for so many rows (MAX_ROWS a column):
past that, the most urgent dependencies are drawn and the rest counted, never silently dropped.
Small organisations show every team; large ones only the teams with something drawn, and the teams
above them (as headings), so the picture stays about the dependencies.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.model import Dependency, DepState
from core.orgindex import OrgIndex
from core.risks import Risk, RiskKind
from core.snapshot import Snapshot


class EdgeColour(enum.StrEnum):
    RED = "red"
    """A risk names it, and it is blocked, declined or overdue."""
    AMBER = "amber"
    """A risk names it (unanswered, due soon and not accepted, late for its priority, in a cycle…)."""
    GREEN = "green"
    """Accepted, and no risk names it."""
    GREY = "grey"
    """Waiting (requested, or just blocked), and no risk names it yet."""


DESCRIPTIONS: dict[EdgeColour, str] = {
    EdgeColour.RED: "blocked, declined or overdue",
    EdgeColour.AMBER: "at risk (a risk names it)",
    EdgeColour.GREEN: "accepted, no risk",
    EdgeColour.GREY: "waiting, no risk yet",
}
LEGEND = (
    "Red: blocked, declined or overdue · amber: at risk, as `risks` says · green: accepted, no risk · "
    "grey: waiting for an answer (or just blocked), no risk yet."
)
ORDER = {EdgeColour.RED: 0, EdgeColour.AMBER: 1, EdgeColour.GREEN: 2, EdgeColour.GREY: 3}

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


@dataclass(frozen=True)
class MapNode:
    handle: str
    name: str
    parent: str | None
    programme: str
    """The top-level team above it (itself at the top)."""
    depth: int
    """0 for a top-level team."""
    focus: bool = False
    """The team asked for with --team."""
    drawn: bool = True
    """False: shown only as the heading of teams beneath it (it has no dependency of its own drawn)."""


@dataclass(frozen=True)
class MapEdge:
    id: str
    from_team: str
    """The requesting team: the arrow points from it to the team it depends on."""
    to_team: str
    state: DepState
    colour: EdgeColour
    reason: str
    """Why this colour, in a word or two (blocked, overdue, unanswered, due soon, accepted…)."""
    risks: tuple[str, ...] = ()
    """The kinds of the risks that name it, worst first (empty for green and grey)."""


@dataclass(frozen=True)
class Row:
    handle: str
    depth: int
    team: bool
    """True: a team with a dependency drawn on this side; False: a heading (the team above such teams)."""
    trail: tuple[str, ...] = ()
    """A heading's own ancestors, top-level first: the heading reads `trail › handle`."""


@dataclass(frozen=True)
class MapGraph:
    focus: str | None
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]
    as_of: date | None = None
    left: tuple[Row, ...] = ()
    """The teams that ask, in tree order with the teams above them as headings."""
    right: tuple[Row, ...] = ()
    """The teams that provide, likewise."""
    hidden: dict[EdgeColour, int] = field(default_factory=dict)
    """Open dependencies in scope left out of the picture for room, by colour."""
    beneath: int = 0
    """Teams beneath the focus team (0 without one)."""

    @property
    def file_stem(self) -> str:
        return f"map-{self.focus}" if self.focus else "map"

    @property
    def title(self) -> str:
        if self.focus is None:
            return "Dependencies across the whole organisation"
        if self.beneath:
            teams = f"{self.beneath} team{'s' if self.beneath != 1 else ''}"
            return f"Dependencies of {self.focus} and the {teams} beneath it"
        return f"Dependencies of {self.focus}"

    def count(self, colour: EdgeColour) -> int:
        """Edges of that colour drawn in the picture."""
        return sum(1 for e in self.edges if e.colour is colour)

    def programmes(self) -> list[str]:
        return list(dict.fromkeys(n.programme for n in self.nodes))

    def to_json(self) -> dict[str, Any]:
        return {
            "focus": self.focus,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "teams": [
                {"handle": n.handle, "name": n.name, "parent": n.parent, "programme": n.programme, "focus": n.focus,
                 "drawn": n.drawn}
                for n in self.nodes
            ],
            "dependencies": [
                {"id": e.id, "from_team": e.from_team, "to_team": e.to_team, "state": e.state.value,
                 "colour": e.colour.value, "reason": e.reason, "risks": list(e.risks)}
                for e in self.edges
            ],
            "not_drawn": {c.value: n for c, n in self.hidden.items() if n},
        }  # fmt: skip


def build_map(snapshot: Snapshot, risks: Sequence[Risk], today: date, team: str | None = None) -> MapGraph:
    """The whole organisation, or with `team` the dependencies of that team and every team beneath it.
    `risks`: every risk the engine found (`risks --all`): the colours say what they say."""
    index = OrgIndex(snapshot)
    naming: dict[str, list[Risk]] = {}
    for r in sorted(risks, key=lambda r: -r.score):
        for item in dict.fromkeys((r.subject, *r.evidence)):
            if item.startswith("D-"):
                naming.setdefault(item, []).append(r)
    scope = index.subtree(team) if team is not None else frozenset(index.teams)
    edges = [e for d in snapshot.dependencies if (e := _edge(index, d, today, naming.get(d.id, []))) is not None]
    edges = [e for e in edges if e.from_team in index.teams and e.to_team in index.teams]
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
