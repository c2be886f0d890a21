"""`history`: what changed, from the audit trail."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from core import access, commands
from core.contracts import event_json
from core.model import Event
from core.reply import Line, Mention, Quote, Reply, Segment, line, reply
from core.service import Call
from core.views import change_segments, counted

_VERBS = {
    "team.created": "created team", "priority.created": "added", "priority.aligned": "aligned",
    "dependency.requested": "requested", "dependency.accepted": "accepted", "dependency.declined": "declined",
    "dependency.blocked": "blocked", "dependency.unblocked": "unblocked", "dependency.delivered": "delivered",
    "dependency.cancelled": "cancelled", "blocker.raised": "raised", "blocker.resolved": "resolved",
    "blocker.edited": "edited", "priority.confirmed": "confirmed unchanged",
    "checkin.answered": "answered the check-in of", "rhythm.set": "set the rhythm of",
    "rhythm.paused": "paused the rhythm of", "rhythm.resumed": "resumed the rhythm of",
    "rhythm.skipped": "set a skipped date for", "person.away": "set time away for", "person.back": "is back:",
}  # fmt: skip


def _what(e: Event) -> list[Segment]:
    d = e.data
    if e.kind == "admin.added":
        if d.get("reason"):
            return [" became admin (", str(d["reason"]), ")"]
        return [" made ", Mention(e.subject), " an admin"]
    if e.kind == "admin.removed":
        return [" removed ", Mention(e.subject), " as admin"]
    if e.kind == "team.member_added":
        return [" added ", Mention(str(d.get("person"))), f" to {e.subject}", " as lead" if d.get("lead") else ""]
    if e.kind == "team.member_removed":
        return [" removed ", Mention(str(d.get("person"))), f" from {e.subject}"]
    if e.kind == "priority.updated":
        after = d.get("after") or {}
        parts: list[Segment] = [f" updated {e.subject}: ", *change_segments(d.get("before") or {}, after)]
        return parts + ([" — ", Quote(str(d["note"]))] if d.get("note") else [])
    if e.kind == "priority.aligned":
        return [f" aligned {e.subject} to {d.get('after')}"]
    parts = [f" {_VERBS.get(e.kind, e.kind)} {e.subject}"]
    said = d.get("title") or d.get("text") or d.get("what") or d.get("reason")
    return parts + ([": ", Quote(str(said))] if said else [])


def _describe(e: Event) -> Line:
    return (f"{e.at.isoformat(timespec='minutes')} ", Mention(e.actor), *[p for p in _what(e) if p != ""])


def _touches(call: Call, e: Event, team: str) -> bool:
    if e.subject == team or e.data.get("team") == team:
        return True
    if e.data.get("from_team") == team or e.data.get("to_team") == team:
        return True
    return _about(call, e.subject, team)


def _about(call: Call, subject: str, team: str) -> bool:
    """Whether the record `subject` (P-n, D-n, B-n) belongs to or points at `team`."""
    kind, _, number = subject.partition("-")
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
        if b is None:
            return False
        return b.team == team or b.on == team or (b.on is not None and _about(call, b.on, team))
    return False


def history(call: Call, cmd: commands.History) -> Reply:
    team = access.optional_team_or_mine(call, cmd.team)
    tz = ZoneInfo(call.uow.workspace.get().tz)
    since = None
    if cmd.since is not None:
        since = datetime.combine(cmd.since.resolve_past(call.today), time(0), tz)
    events = list(call.uow.events.list(since=since))
    if team is not None:
        events = [e for e in events if _touches(call, e, team.handle)]
    scope = team.handle if team else "the whole organisation"
    frm = f" since {since.date().isoformat()}" if since else ""
    lines: list[Line] = [counted(len(events), "change", "changes", f"{scope}{frm}")]
    lines += [_describe(e) for e in events[-50:]]
    if len(events) > 50:
        lines.insert(1, line(f"(the last 50 of {len(events)}; use --since or --json for more)"))
    return reply(*lines, data=[event_json(e) for e in events])
