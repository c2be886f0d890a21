"""`history`: what changed, from the audit trail."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from core import access, commands, rules
from core.changes import Change, changes, describe
from core.context import Call
from core.json_shapes import event_json
from core.model import Event
from core.record_lines import counted
from core.reply import Line, Mention, Reply, line, reply

MAX_SHOWN = 50


def describe_line(c: Change, tz: ZoneInfo) -> Line:
    """`Tue 2026-11-24 08:30 @bob updated P-2: confidence 80 → 50`, in the workspace's time zone."""
    return (f"{c.at.astimezone(tz).strftime('%a %Y-%m-%d %H:%M')} ", Mention(c.actor), *describe(c))


class _Teams:
    """Which team a record belongs to or points at, read once for the whole history (not per event)."""

    def __init__(self, call: Call) -> None:
        self.priorities = {p.id: p.team for p in call.uow.priorities.list()}
        self.dependencies = {d.id: (d.from_team, d.to_team) for d in call.uow.dependencies.list()}
        self.blockers = {b.id: (b.team, b.on) for b in call.uow.blockers.list()}

    def touches(self, e: Event, team: str) -> bool:
        if e.subject == team or e.data.get("team") == team:
            return True
        if e.data.get("from_team") == team or e.data.get("to_team") == team:
            return True
        return self.about(e.subject, team)

    def about(self, subject: str, team: str, depth: int = 0) -> bool:
        """Whether the record `subject` (P-n, D-n, B-n) belongs to or points at `team`."""
        if subject in self.priorities:
            return self.priorities[subject] == team
        if subject in self.dependencies:
            return team in self.dependencies[subject]
        if subject in self.blockers and depth < 3:
            own, on = self.blockers[subject]
            return own == team or on == team or (on is not None and self.about(on, team, depth + 1))
        return False


def history(call: Call, cmd: commands.History) -> Reply:
    team = access.optional_team_or_mine(call, cmd.team)
    tz = rules.zone_info(call.uow.workspace.get().tz)
    since = None
    if cmd.since is not None:
        since = datetime.combine(cmd.since.resolve_past(call.today), time(0), tz)
    events = list(call.uow.events.list(since=since))
    if team is not None:
        teams = _Teams(call)
        events = [e for e in events if teams.touches(e, team.handle)]
    found = changes(events)
    scope = team.handle if team else "the whole organisation"
    frm = f" since {since.date().isoformat()}" if since else ""
    lines: list[Line] = [counted(len(found), "change", "changes", f"{scope}{frm}")]
    lines += [describe_line(ch, tz) for ch in found[-MAX_SHOWN:]]
    if len(found) > MAX_SHOWN:
        lines.insert(1, line(f"(the last {MAX_SHOWN} of {len(found)}; use --since or --json for more)"))
    return reply(*lines, data=[event_json(e) for e in events])
