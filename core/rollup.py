"""Roll-ups: what a priority's aligned children say about it, beside what its owner says.

An org priority reported "on-track, 0% done" tells a leader nothing when the team priorities
aligned to it are at risk and half done. The roll-up counts the open (not done, not dropped)
direct children: how many, the worst status among them, the lowest confidence anyone gave, and
the mean progress, rounded half up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.model import Priority, Status

WORST_FIRST = (Status.OFF_TRACK, Status.AT_RISK, Status.ON_TRACK)
"""Open statuses, the worst first."""
_BADNESS = {s: len(WORST_FIRST) - i for i, s in enumerate(WORST_FIRST)}


@dataclass(frozen=True)
class Rollup:
    children: int
    status: Status
    """The worst status among the open children."""
    confidence: int | None
    """The lowest confidence given among them (None when none has one)."""
    progress: int
    """Their mean progress, rounded half up."""

    def to_json(self) -> dict[str, Any]:
        return {"children": self.children, "status": self.status.value, "confidence": self.confidence,
                "progress": self.progress}  # fmt: skip

    @classmethod
    def from_json(cls, value: Any) -> Rollup | None:
        if not isinstance(value, dict):
            return None
        return cls(children=int(value["children"]), status=Status(value["status"]), confidence=value.get("confidence"),
                   progress=int(value["progress"]))  # fmt: skip


def worse(a: Status, b: Status) -> bool:
    """Whether `a` is a worse open status than `b`."""
    return _BADNESS.get(a, 0) > _BADNESS.get(b, 0)


def of_children(children: Iterable[Priority]) -> Rollup | None:
    """The roll-up of these priorities' open ones; None when none is open."""
    found = [c for c in children if c.is_open]
    if not found:
        return None
    status = max((c.status for c in found), key=lambda s: _BADNESS.get(s, 0))
    known = [c.confidence for c in found if c.confidence is not None]
    total = sum(c.progress for c in found)
    return Rollup(children=len(found), status=status, confidence=min(known) if known else None,
                  progress=(2 * total + len(found)) // (2 * len(found)))  # fmt: skip


def rollups(priorities: Iterable[Priority]) -> dict[int, Rollup]:
    """Priority number -> its roll-up, for every priority with at least one open aligned child."""
    children: dict[int, list[Priority]] = defaultdict(list)
    for p in priorities:
        if p.parent is not None and p.is_open:
            children[p.parent].append(p)
    out: dict[int, Rollup] = {}
    for number, found in children.items():
        r = of_children(found)
        if r is not None:
            out[number] = r
    return out
