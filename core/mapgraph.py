"""What the `map` picture shows: the teams that ask (left) and the teams that provide (right), each
open dependency a line between them through its labelled id, coloured by what `risks` says of it.
The core decides what to draw and how many rows each column needs (core.map_layout); the bot
draws it (PNG). This module holds only the picture's parts: a reply carries them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.model import DepState


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
