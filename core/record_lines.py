"""How records read in chat, as neutral lines (adapters render mentions and user text)."""

from __future__ import annotations

from core.model import Blocker, BlockerState, Dependency, DepState, Priority, Team
from core.reply import Line, Mention, Quote, Segment
from core.rollup import Rollup


def who(handle: str | None) -> Segment:
    return Mention(handle) if handle else "nobody"


def priority_line(p: Priority, rollup: Rollup | None = None) -> Line:
    parts: list[Segment] = [f"{p.id} ", Quote(p.title), f" [{p.team or 'org'}] ", p.status.value]
    if p.confidence is not None:
        parts.append(f", confidence {p.confidence}")
    parts.append(f", {p.progress}% done")
    if p.due:
        parts.append(f", due {p.due.isoformat()}")
    parts += [", owner ", who(p.owner)]
    if p.parent:
        parts.append(f", aligned to P-{p.parent}")
    if rollup is not None:
        parts.append(f" · {rollup_text(rollup)}")
    return tuple(parts)


def rollup_text(r: Rollup) -> str:
    """`beneath it 3 aligned: worst at-risk, lowest confidence 40, 35% done on average`."""
    if r.children == 1:
        confidence = f", confidence {r.confidence}" if r.confidence is not None else ""
        return f"beneath it 1 aligned priority: {r.status.value}{confidence}, {r.progress}% done"
    confidence = f", lowest confidence {r.confidence}" if r.confidence is not None else ""
    return (f"beneath it {r.children} aligned priorities: worst {r.status.value}{confidence}, "
            f"{r.progress}% done on average")  # fmt: skip


def dependency_line(d: Dependency) -> Line:
    parts: list[Segment] = [f"{d.id} {d.from_team} → {d.to_team}: ", Quote(d.what), f" by {d.needed_by}"]
    if d.committed and d.committed != d.needed_by:
        parts.append(f" (committed {d.committed})")
    parts.append(f" — {d.state.value}")
    if d.state is DepState.BLOCKED and d.blocked_reason:
        parts += [": ", Quote(d.blocked_reason)]
    if d.for_priority:
        parts.append(f", for P-{d.for_priority}")
    return tuple(parts)


def blocker_line(b: Blocker) -> Line:
    parts: list[Segment] = [f"{b.id} “", Quote(b.text), "”"]  # quoted: user text must not run into ours
    if b.team:
        parts.append(f" [{b.team}]")
    if b.on:
        parts.append(f" on {b.on}")
    parts += [", raised by ", Mention(b.raised_by), f" {b.raised_at.date().isoformat()}"]
    if b.state is BlockerState.RESOLVED:
        parts.append(" — resolved")
    return tuple(parts)


def team_line(t: Team, depth: int = 0) -> Line:
    parts: list[Segment] = ["  " * depth + f"{t.handle} — ", Quote(t.name)]
    if t.leads:
        parts.append(" · leads ")
        for i, h in enumerate(t.leads):
            parts += ([", "] if i else []) + [Mention(h)]
    parts.append(f" · {len(t.members)} member{'s' if len(t.members) != 1 else ''}")
    return tuple(parts)


def value_segment(key: str, value: object) -> Segment:
    """A field's value in a change line: people as mentions, nothing as 'none'."""
    if value is None or value == "":
        return "none"
    if key == "owner" and isinstance(value, str):
        return Mention(value)
    return str(value)


def as_dict(value: object) -> dict[str, object]:
    """An event's `before`/`after` as a mapping (anything else, which no command writes, as nothing)."""
    return value if isinstance(value, dict) else {}


def change_segments(before: dict[str, object], after: dict[str, object]) -> list[Segment]:
    """`status on-track → at-risk, owner @carol → @bob`."""
    parts: list[Segment] = []
    for i, key in enumerate(after):
        parts += [", " if i else "", f"{key} ", value_segment(key, before.get(key)), " → ",
                  value_segment(key, after[key])]  # fmt: skip
    return [p for p in parts if p != ""]


def counted(n: int, singular: str, plural: str, scope: str) -> Line:
    """The header of a list: `3 open blockers in ledger:`, or `No open blockers in ledger.`"""
    if n == 0:
        return (f"No {plural} in {scope}.",)
    return (f"{n} {singular if n == 1 else plural} in {scope}:",)
