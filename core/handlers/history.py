"""`history`: what changed, from the audit trail."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from core import access, commands
from core.contracts import event_json
from core.model import Event
from core.reply import Line, Mention, Quote, Reply, Segment, line, reply
from core.service import Call

_VERBS = {
    "team.created": "created team", "team.member_added": "added to team", "team.member_removed": "removed from team",
    "priority.created": "added", "priority.updated": "updated", "priority.aligned": "aligned",
    "dependency.requested": "requested", "dependency.accepted": "accepted", "dependency.declined": "declined",
    "dependency.blocked": "blocked", "dependency.unblocked": "unblocked", "dependency.delivered": "delivered",
    "dependency.cancelled": "cancelled", "blocker.raised": "raised", "blocker.resolved": "resolved",
    "admin.added": "made admin", "admin.removed": "no longer admin",
}  # fmt: skip


def _describe(e: Event) -> Line:
    parts: list[Segment] = [
        f"{e.at.isoformat(timespec='minutes')} ",
        Mention(e.actor),
        f" {_VERBS.get(e.kind, e.kind)} ",
    ]
    parts.append(e.subject)
    if e.kind == "priority.updated":
        after = e.data.get("after") or {}
        before = e.data.get("before") or {}
        parts.append(": " + ", ".join(f"{k} {before.get(k)} → {v}" for k, v in after.items()))
        if e.data.get("note"):
            parts += [" — ", Quote(str(e.data["note"]))]
    elif e.kind in ("team.member_added", "team.member_removed"):
        parts += [": ", Mention(str(e.data.get("person")))]
    elif e.kind in ("dependency.blocked", "dependency.declined") and e.data.get("reason"):
        parts += [": ", Quote(str(e.data["reason"]))]
    elif e.kind in ("priority.created", "blocker.raised", "dependency.requested"):
        title = e.data.get("title") or e.data.get("text") or e.data.get("what")
        if title:
            parts += [" ", Quote(str(title))]
    return tuple(parts)


def _touches(call: Call, e: Event, team: str) -> bool:
    if e.subject == team or e.data.get("team") == team:
        return True
    if e.data.get("from_team") == team or e.data.get("to_team") == team:
        return True
    kind, _, number = e.subject.partition("-")
    if not number.isdigit():
        return False
    if kind == "P":
        p = call.uow.priorities.get(int(number))
        return p is not None and p.team == team
    if kind == "D":
        d = call.uow.dependencies.get(int(number))
        return d is not None and team in (d.from_team, d.to_team)
    if kind == "B":
        b = call.uow.blockers.get(int(number))
        return b is not None and (b.team == team or b.on == team)
    return False


def history(call: Call, cmd: commands.History) -> Reply:
    team = access.optional_team_or_mine(call, cmd.team)
    tz = ZoneInfo(call.uow.workspace.get().tz)
    since = None
    if cmd.since is not None:
        since = datetime.combine(cmd.since.resolve(call.today), time(0), tz)
    events = list(call.uow.events.list(since=since))
    if team is not None:
        events = [e for e in events if _touches(call, e, team.handle)]
    scope = team.handle if team else "the whole organisation"
    frm = f" since {since.date().isoformat()}" if since else ""
    lines: list[Line] = [line(f"{len(events)} change{'s' if len(events) != 1 else ''} in {scope}{frm}:")]
    lines += [_describe(e) for e in events[-50:]]
    if len(events) > 50:
        lines.insert(1, line(f"(the last 50 of {len(events)}; use --since or --json for more)"))
    return reply(*lines, data=[event_json(e) for e in events])
