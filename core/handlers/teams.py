"""`team create|add|remove|show|list`: the team-of-teams tree."""

from __future__ import annotations

from core import access, commands
from core.checkins import participation
from core.contracts import team_json
from core.errors import Conflict, InvalidInput
from core.graph import reliability_of
from core.handlers.checks import MAX_TITLE, text
from core.model import Team
from core.reply import ChannelRef, Line, Mention, Quote, Reply, Segment, line, reply
from core.service import Call
from core.views import team_line


def create(call: Call, cmd: commands.TeamCreate) -> Reply:
    access.require_admin(call, "create a team")
    if call.uow.teams.get(cmd.handle) is not None:
        raise Conflict(f"A team '{cmd.handle}' already exists.")
    if cmd.parent is not None:
        access.team(call, cmd.parent)
    channel = call.ctx.channel
    if channel is not None:
        owner = next((t for t in call.uow.teams.list() if t.channel == channel), None)
        if owner is not None:
            raise Conflict(f"This channel is already the home of team '{owner.handle}'; create the team elsewhere.")
    t = Team(handle=cmd.handle, name=text(cmd.name, "team name", MAX_TITLE), parent=cmd.parent, channel=channel)
    call.uow.teams.save(t)
    call.record("team.created", t.handle, name=t.name, parent=t.parent, channel=channel)
    where: list[Segment] = [" Home channel: ", ChannelRef(channel), "."] if channel else []
    under = f" under {cmd.parent}" if cmd.parent else ""
    return reply(line(f"Team {t.handle} created{under}.", *where), data=team_json(t), public=True)


def add(call: Call, cmd: commands.TeamAdd) -> Reply:
    t = access.team(call, cmd.team)
    access.require_lead_or_admin(call, t, f"add people to {t.handle}")
    changed: list[str] = []
    for handle in dict.fromkeys(cmd.people):
        access.person(call, handle)
        new_member = handle not in t.members
        new_lead = cmd.lead and handle not in t.leads
        if new_member:
            t.members.append(handle)
        if new_lead:
            t.leads.append(handle)
        if new_member or new_lead:
            changed.append(handle)
            call.record("team.member_added", t.handle, person=handle, lead=cmd.lead)
    if not changed:
        role = "leads" if cmd.lead else "members"
        raise Conflict(f"Nobody to add: they are all {role} of {t.handle} already.")
    call.uow.teams.save(t)
    role = "as lead" if cmd.lead else "as member"
    people: list[Segment] = []
    for i, h in enumerate(changed):
        people += ([", "] if i else []) + [Mention(h)]
    return reply(line(f"Added to {t.handle} {role}: ", *people, "."), data=team_json(t), public=True)


def remove(call: Call, cmd: commands.TeamRemove) -> Reply:
    t = access.team(call, cmd.team)
    access.require_lead_or_admin(call, t, f"remove people from {t.handle}")
    if not t.has_member(cmd.person):
        known = call.uow.people.get(cmd.person)
        raise InvalidInput(f"{known.name if known else cmd.person} is not a member of {t.handle}.")
    t.members = [h for h in t.members if h != cmd.person]
    t.leads = [h for h in t.leads if h != cmd.person]
    call.uow.teams.save(t)
    call.record("team.member_removed", t.handle, person=cmd.person)
    return reply(line(Mention(cmd.person), f" is no longer in {t.handle}."), data=team_json(t), public=True)


def _people(handles: list[str]) -> list[Segment]:
    out: list[Segment] = []
    for i, h in enumerate(handles):
        out += ([", "] if i else []) + [Mention(h)]
    return out or ["none"]


def show(call: Call, cmd: commands.TeamShow) -> Reply:
    t = access.team_or_mine(call, cmd.team, what="to show", how="`team show <team>`")
    children = [x for x in call.uow.teams.list() if x.parent == t.handle]
    path = " › ".join([a.handle for a in reversed(access.ancestors(call, t))] + [t.handle])
    lines: list[Line] = [
        line(f"{path} — ", Quote(t.name)),
        line("Leads: ", *_people(t.leads)),
        line("Members: ", *_people(t.members)),
        line("Home channel: ", ChannelRef(t.channel) if t.channel else "none"),
        line("Child teams: ", ", ".join(x.handle for x in children) or "none"),
    ]
    active = [p for p in call.uow.priorities.list() if p.team == t.handle and p.is_open]
    lines.append(line(f"Open priorities: {len(active)}"))
    kept = reliability_of(t.handle, call.uow.dependencies.list(), call.today)
    if kept.due:
        lines.append(line(f"Commitment reliability (90 days): {kept.percent}% of {kept.due} accepted "
                          f"dependenc{'ies' if kept.due != 1 else 'y'} delivered on time"))  # fmt: skip
    else:
        lines.append(line("Commitment reliability (90 days): no accepted dependencies due yet"))
    data = team_json(t) | {"children": [x.handle for x in children], "reliability": kept.to_json()}
    if call.uow.rhythms.get(t.handle) is not None:  # check-in participation, once the team has a rhythm
        said, data["participation"] = participation(call.uow, t.handle, call.now)
        lines += said
    return reply(*lines, data=data)


def list_(call: Call, _: commands.TeamList) -> Reply:
    teams = list(call.uow.teams.list())
    by_parent: dict[str | None, list[Team]] = {}
    known = {t.handle for t in teams}
    for t in teams:
        by_parent.setdefault(t.parent if t.parent in known else None, []).append(t)
    lines: list[Line] = []
    seen: set[str] = set()

    def walk(parent: str | None, depth: int) -> None:
        for t in by_parent.get(parent, []):
            if t.handle in seen:
                continue
            seen.add(t.handle)
            lines.append(team_line(t, depth))
            walk(t.handle, depth + 1)

    walk(None, 0)
    if not lines:
        lines.append(line('No teams yet. An admin creates one with `team create <handle> "<name>"`.'))
    else:
        lines.insert(0, line(f"{len(teams)} team{'s' if len(teams) != 1 else ''}:"))
    return reply(*lines, data=[team_json(t) for t in teams])
