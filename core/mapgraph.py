"""What the `map` picture shows: teams, the tree they hang in, and the dependencies between them,
each coloured by state and risk. The core decides what to draw; the bot draws it (PNG)."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.model import Dependency, DepState
from core.orgindex import OrgIndex
from core.risks import Risk
from core.snapshot import Snapshot


class EdgeColour(enum.StrEnum):
    RED = "red"
    """Blocked, declined (while it still matters) or overdue."""
    AMBER = "amber"
    """At risk: evidence of a risk, or committed later than needed."""
    GREEN = "green"
    """Accepted and on time."""
    GREY = "grey"
    """Requested, not answered yet."""


LEGEND = "Red: blocked, declined or overdue · amber: at risk · green: accepted · grey: requested, not answered yet."

DESCRIPTIONS: dict[EdgeColour, str] = {
    EdgeColour.RED: "blocked, declined or overdue",
    EdgeColour.AMBER: "at risk",
    EdgeColour.GREEN: "accepted",
    EdgeColour.GREY: "requested, not answered yet",
}


@dataclass(frozen=True)
class MapNode:
    handle: str
    name: str
    parent: str | None
    programme: str
    """The top-level team above it (itself at the top): teams are grouped by it."""
    depth: int
    """0 for a top-level team."""
    focus: bool = False
    """The team asked for with --team."""


@dataclass(frozen=True)
class MapEdge:
    id: str
    from_team: str
    """The requesting team: the arrow points from it to the team it depends on."""
    to_team: str
    state: DepState
    colour: EdgeColour
    reason: str
    """Why this colour, in two or three words (blocked, overdue, at risk, accepted...)."""


@dataclass(frozen=True)
class MapGraph:
    focus: str | None
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]
    as_of: date | None = None

    @property
    def file_stem(self) -> str:
        return f"map-{self.focus}" if self.focus else "map"

    @property
    def title(self) -> str:
        if self.focus is None:
            return "Dependencies across the whole organisation"
        return f"Dependencies around {self.focus}"

    def count(self, colour: EdgeColour) -> int:
        return sum(1 for e in self.edges if e.colour is colour)

    def programmes(self) -> list[str]:
        return list(dict.fromkeys(n.programme for n in self.nodes))

    def to_json(self) -> dict[str, Any]:
        return {
            "focus": self.focus,
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "teams": [
                {"handle": n.handle, "name": n.name, "parent": n.parent, "programme": n.programme, "focus": n.focus}
                for n in self.nodes
            ],
            "dependencies": [
                {"id": e.id, "from_team": e.from_team, "to_team": e.to_team, "state": e.state.value,
                 "colour": e.colour.value, "reason": e.reason}
                for e in self.edges
            ],
        }  # fmt: skip


def build_map(snapshot: Snapshot, risks: Sequence[Risk], today: date, team: str | None = None) -> MapGraph:
    """The whole organisation, or with `team` its neighbourhood: the teams one dependency away,
    its parent and its children, and the dependencies between those."""
    index = OrgIndex(snapshot)
    at_risk = {item for r in risks for item in (r.subject, *r.evidence)}
    edges = [e for d in snapshot.dependencies if (e := _edge(index, d, today, at_risk)) is not None]
    edges = [e for e in edges if e.from_team in index.teams and e.to_team in index.teams]
    keep: set[str]
    if team is None:
        keep = set(index.teams)
    else:
        keep = {team, *index.children.get(team, [])}
        parent = index.teams[team].parent
        if parent is not None:
            keep.add(parent)
        for e in edges:
            if team in (e.from_team, e.to_team):
                keep.update((e.from_team, e.to_team))
        edges = [e for e in edges if e.from_team in keep and e.to_team in keep]
    nodes = [_node(index, h, team) for h in sorted(keep)]
    nodes.sort(key=lambda n: (n.programme, _path(index, n.handle)))
    edges.sort(key=lambda e: (_ORDER[e.colour], _number(e.id)))
    return MapGraph(focus=team, nodes=tuple(nodes), edges=tuple(edges), as_of=today)


_ORDER = {EdgeColour.RED: 0, EdgeColour.AMBER: 1, EdgeColour.GREEN: 2, EdgeColour.GREY: 3}


def _edge(index: OrgIndex, d: Dependency, today: date, at_risk: set[str]) -> MapEdge | None:
    if not d.is_open and not index.declined_still_matters(d):
        return None
    colour, reason = _colour(index, d, today, at_risk)
    return MapEdge(d.id, d.from_team, d.to_team, d.state, colour, reason)


def _colour(index: OrgIndex, d: Dependency, today: date, at_risk: set[str]) -> tuple[EdgeColour, str]:
    if d.state is DepState.BLOCKED:
        return EdgeColour.RED, "blocked"
    if d.state is DepState.DECLINED:
        return EdgeColour.RED, "declined"
    if index.overdue(d, today):
        return EdgeColour.RED, "overdue"
    if d.id in at_risk:
        return EdgeColour.AMBER, "at risk"
    if d.committed is not None and d.committed > d.needed_by:
        return EdgeColour.AMBER, "committed late"
    if d.state is DepState.ACCEPTED:
        return EdgeColour.GREEN, "accepted"
    return EdgeColour.GREY, "requested"


def _node(index: OrgIndex, handle: str, focus: str | None) -> MapNode:
    t = index.teams[handle]
    return MapNode(handle=handle, name=t.name, parent=t.parent, programme=index.programme(handle),
                   depth=len(_path(index, handle)) - 1, focus=handle == focus)  # fmt: skip


def _path(index: OrgIndex, handle: str) -> tuple[str, ...]:
    """Top-level team first, down to `handle`: sorting by it lists a tree depth-first."""
    chain = [handle]
    while True:
        parent = index.teams[chain[-1]].parent if chain[-1] in index.teams else None
        if parent is None or parent in chain:
            return tuple(reversed(chain))
        chain.append(parent)


def _number(ref: str) -> int:
    digits = ref.partition("-")[2]
    return int(digits) if digits.isdigit() else 0
