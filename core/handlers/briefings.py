"""`briefing` and `rhythm set briefing`: the weekly leader briefing, on demand and on a schedule."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from core import access, commands
from core.briefing import MEMBER, ORG, BriefingSchedule, next_at, recipients, zone_of
from core.briefing_report import as_lines
from core.briefing_runs import narrated, report_at, team_zone
from core.context import Call
from core.errors import InvalidInput
from core.model import Team
from core.reply import Line, Mention, Reply, Segment, line, reply
from core.rhythm import DAY_NAMES, check_tz


def _scope(call: Call, cmd: commands.Briefing, teams: Sequence[Team]) -> Team | None:
    """`--team`, else the organisation for admins and leads of a team with teams beneath it, else the
    caller's only team, else the organisation."""
    if cmd.org:
        return None
    if cmd.team is not None:
        return access.team(call, cmd.team)
    parents = {t.parent for t in teams}
    if access.is_admin(call) or any(call.actor in t.leads and t.handle in parents for t in teams):
        return None
    return access.optional_team_or_mine(call, None)


def briefing(call: Call, cmd: commands.Briefing) -> Reply:
    team = _scope(call, cmd, call.uow.teams.list())
    report = report_at(call.uow, call.now, team.handle if team else None)
    scope = team.handle if team else ORG
    footer = _schedule_line(call, scope)
    lines = (*as_lines(report), line(""), footer)
    data = report.data | {"schedule": _schedule_json(call, scope)}
    summarizer = call.services.summarizer
    if summarizer is None:
        return reply(*lines, data=data, offers=report.offers)

    def narrate() -> Reply:
        """After the transaction: the model may take its time, and holds no lock meanwhile."""
        told = narrated(report, summarizer)
        narrative = [{"text": c.text, "cites": list(c.cites)} for c in told.claims] or None
        return reply(*told.lines, line(""), footer, data=data | {"note": told.note, "narrative": narrative},
                     offers=report.offers)  # fmt: skip

    return Reply(lines=tuple(lines), data=data, then=narrate, offers=report.offers)


def _schedule_json(call: Call, scope: str) -> dict[str, object] | None:
    s = call.uow.briefings.get(scope)
    return s.to_json() if s is not None else None


def _when(s: BriefingSchedule, zone: str) -> str:
    where = "in each recipient's own time zone" if s.tz == MEMBER else (s.tz or zone)
    return f"every {DAY_NAMES[s.day]} at {s.at.strftime('%H:%M')} {where}"


def schedule_lines(call: Call, team: Team) -> list[Line]:
    """The team's leader briefing, for `rhythm show` (nothing for a team without teams beneath it)."""
    s = call.uow.briefings.get(team.handle)
    if s is None and not any(t.parent == team.handle for t in call.uow.teams.list()):
        return []
    if s is None:
        return [line(f"Leader briefing: not set (a lead sets it with `rhythm set briefing --team {team.handle} "
                     "--day mon --at 08:30`).")]  # fmt: skip
    who: list[Segment] = []
    for i, h in enumerate(team.leads):
        who += ([", "] if i else []) + [Mention(h)]
    return [line(f"Leader briefing: {_when(s, team_zone(call.uow, team.handle))}, by direct message to ",
                 *(who or ["nobody (no leads)"]), ".")]  # fmt: skip


def _schedule_line(call: Call, scope: str) -> Line:
    s = call.uow.briefings.get(scope)
    flag = "org" if scope == ORG else scope
    if s is None and scope != ORG and not any(t.parent == scope for t in call.uow.teams.list()):
        return line(f"{scope} has no teams beneath it, so no weekly briefing: its stand-ups and check-ins cover it.")
    if s is None:
        return line(f"Not sent on a schedule yet: `rhythm set briefing --team {flag} --day mon --at 08:30` "
                    "sends it each week by direct message.")  # fmt: skip
    to = "the admins" if scope == ORG else f"the leads of {scope}"
    return line(f"Sent to {to} {_when(s, team_zone(call.uow, scope))}.")


def set_briefing(call: Call, cmd: commands.RhythmSetBriefing) -> Reply:
    teams = list(call.uow.teams.list())
    if cmd.org:
        access.require_admin(call, "set the organisation's leader briefing")
        scope = ORG
    else:
        t = access.team_or_mine(call, cmd.team, what="the briefing is for", how="--team (or --team org)")
        access.require_lead_or_admin(call, t, f"set the leader briefing of {t.handle}")
        if not any(x.parent == t.handle for x in teams):
            raise InvalidInput(
                f"{t.handle} has no teams beneath it: the leader briefing goes to the leads of a team with teams "
                "beneath it (or, with --team org, to the admins); stand-ups and check-ins cover a single team."
            )
        scope = t.handle
    tz = None
    if cmd.tz is not None:
        tz = MEMBER if cmd.tz.strip().lower() == MEMBER else check_tz(cmd.tz)
    s = BriefingSchedule(scope=scope, day=cmd.day, at=cmd.at, tz=tz)
    call.uow.briefings.save(s)
    call.record("briefing.set", scope, **s.to_json())
    people = list(call.uow.people.list())
    to = recipients(scope, teams, people)
    zone = team_zone(call.uow, scope)
    who: list[Segment] = []
    for i, h in enumerate(to):
        who += ([", "] if i else []) + [Mention(h)]
    lines: list[Line] = [
        line(f"Leader briefing of {'the organisation' if scope == ORG else scope} set: {_when(s, zone)}, by direct "
             "message to ", *(who or ["nobody yet (it has no " + ("admins" if scope == ORG else "leads") + ")"]),
             "."),
    ]  # fmt: skip
    by = {p.handle: p for p in people}
    for h in to:
        z = zone_of(s, by.get(h), zone)
        nxt = next_at(s, z, call.now).astimezone(ZoneInfo(z))
        lines.append(line("  Next for ", Mention(h), f": {nxt.strftime('%a %Y-%m-%d %H:%M')} {z}."))
    lines.append(line(f"`briefing --team {'org' if scope == ORG else scope}` shows it now."))
    return reply(*lines, data=s.to_json(), public=True)
