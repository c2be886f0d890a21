"""`team create|add|remove|show|list`: the team-of-teams tree."""

from __future__ import annotations

from core import access, commands, rules
from core.checkins import participation
from core.context import Call
from core.errors import Conflict, InvalidInput
from core.graph import reliability_of
from core.handlers.checks import MAX_TITLE, text
from core.json_shapes import team_json
from core.model import Team
from core.record_lines import team_line
from core.reply import ChannelRef, Line, Mention, Quote, Reply, Segment, line, reply


def create(call: Call, cmd: commands.TeamCreate) -> Reply:
    access.require_admin(call, "create a team")
    handle = rules.team_handle(cmd.handle)
    if call.uow.teams.get(handle) is not None:
        raise Conflict(f"A team '{handle}' already exists.")
    if cmd.parent is not None:
        access.active_team(call, cmd.parent)
    channel = rules.channel(call.ctx.channel) if call.ctx.channel is not None else None
    if channel is not None:
        owner = next((t for t in call.uow.teams.list() if t.channel == channel), None)
        if owner is not None:
            archived = " (archived)" if owner.archived else ""
            raise Conflict(f"This channel is already the home of team '{owner.handle}'{archived}; create the team "
                           "elsewhere.")  # fmt: skip
    t = Team(handle=handle, name=text(cmd.name, "team name", MAX_TITLE), parent=cmd.parent, channel=channel)
    call.uow.teams.save(t)
    call.record("team.created", t.handle, name=t.name, parent=t.parent, channel=channel)
    where: list[Segment] = [" Home channel: ", ChannelRef(channel), "."] if channel else []
    under = f" under {cmd.parent}" if cmd.parent else ""
    return reply(line(f"Team {t.handle} created{under}.", *where), data=team_json(t), public=True)


def add(call: Call, cmd: commands.TeamAdd) -> Reply:
    t = access.active_team(call, cmd.team)
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
    t = access.active_team(call, cmd.team)
    access.require_lead_or_admin(call, t, f"remove people from {t.handle}")
    if not t.has_member(cmd.person):
        known = call.uow.people.get(cmd.person)
        raise InvalidInput(f"{known.name if known else cmd.person} is not a member of {t.handle}.")
    t.members = [h for h in t.members if h != cmd.person]
    t.leads = [h for h in t.leads if h != cmd.person]
    call.uow.teams.save(t)
    call.record("team.member_removed", t.handle, person=cmd.person)
    return reply(line(Mention(cmd.person), f" is no longer in {t.handle}."), data=team_json(t), public=True)


def rename(call: Call, cmd: commands.TeamRename) -> Reply:
    t = access.active_team(call, cmd.team)
    access.require_lead_or_admin(call, t, f"rename {t.handle}")
    name = text(cmd.name, "team name", MAX_TITLE)
    if name == t.name:
        raise Conflict(f"{t.handle} already has that name.")
    before, t.name = t.name, name
    call.uow.teams.save(t)
    call.record("team.renamed", t.handle, before=before, after=name)
    return reply(line(f"{t.handle} is now called ", Quote(name), " (was ", Quote(before), ")."), data=team_json(t),
                 public=True)  # fmt: skip


def demote(call: Call, cmd: commands.TeamDemote) -> Reply:
    t = access.active_team(call, cmd.team)
    access.require_lead_or_admin(call, t, f"change the leads of {t.handle}")
    who = access.person(call, cmd.person)
    if who.handle not in t.leads:
        raise Conflict(f"{who.name} is not a lead of {t.handle}, so there is nothing to demote.")
    t.leads = [h for h in t.leads if h != who.handle]
    if who.handle not in t.members:
        t.members.append(who.handle)
    call.uow.teams.save(t)
    call.record("team.member_demoted", t.handle, person=who.handle)
    lines = [line(Mention(who.handle), f" is now a member of {t.handle}, no longer a lead.")]
    if not t.leads:
        lines.append(line(f"{t.handle} has no lead now: name one with `team add {t.handle} @name --lead`."))
    return reply(*lines, data=team_json(t), public=True)


def move(call: Call, cmd: commands.TeamMove) -> Reply:
    access.require_admin(call, "move a team")
    t = access.active_team(call, cmd.team)
    if cmd.parent is not None:
        access.active_team(call, cmd.parent)
    teams = list(call.uow.teams.list())
    rules.team_parent(t.handle, cmd.parent, {x.handle: x.parent for x in teams})
    if cmd.parent == t.parent:
        raise Conflict(f"{t.handle} is already under {t.parent}." if t.parent else f"{t.handle} is already at the top.")
    before, t.parent = t.parent, cmd.parent
    call.uow.teams.save(t)
    call.record("team.moved", t.handle, before=before, after=t.parent)
    where = f"under {t.parent}" if t.parent else "to the top of the tree"
    was = f"under {before}" if before else "at the top"
    lines = [line(f"{t.handle} moved {where} (was {was}).")]
    ancestors = {a.handle for a in access.ancestors(call, t)}
    below = rules.descendants(t.handle, {x.handle: x.parent for x in call.uow.teams.list()}) | {t.handle}
    prios = {p.number: p for p in call.uow.priorities.list()}
    astray = [p for p in prios.values() if p.is_open and p.team in below and p.parent in prios
              and prios[p.parent].team is not None and prios[p.parent].team not in ancestors | below]  # fmt: skip
    for p in astray:
        parent = prios[p.parent or 0]
        lines.append(line(f"{p.id} stays aligned to {parent.id} ({parent.team}), which is no longer above "
                          f"{p.team}: `priority align {p.id} --to P-n` aligns it anew."))  # fmt: skip
    return reply(*lines, data=team_json(t), public=True)


def archive(call: Call, cmd: commands.TeamArchive) -> Reply:
    access.require_admin(call, "archive a team")
    t = access.team(call, cmd.team)
    if t.archived:
        raise Conflict(f"{t.handle} is already archived.")
    h = t.handle
    rules.archivable(
        h,
        [p.id for p in call.uow.priorities.list() if p.team == h and p.is_open],
        [d.id for d in call.uow.dependencies.list() if d.is_open and h in (d.from_team, d.to_team)],
        [x.handle for x in call.uow.teams.list() if x.parent == h and not x.archived],
    )
    t.archived = True
    call.uow.teams.save(t)
    call.record("team.archived", h)
    return reply(line(f"{h} archived: it leaves `team list` and the rhythm; its ids and history stay. "
                      f"`team unarchive {h}` brings it back."), data=team_json(t), public=True)  # fmt: skip


def unarchive(call: Call, cmd: commands.TeamUnarchive) -> Reply:
    access.require_admin(call, "unarchive a team")
    t = access.team(call, cmd.team)
    if not t.archived:
        raise Conflict(f"{t.handle} is not archived.")
    parent = call.uow.teams.get(t.parent) if t.parent else None
    if parent is not None and parent.archived:
        raise Conflict(f"{t.handle}'s parent {parent.handle} is archived: unarchive {parent.handle} first.")
    t.archived = False
    call.uow.teams.save(t)
    call.record("team.unarchived", t.handle)
    return reply(line(f"{t.handle} is back: in `team list` and the rhythm again."), data=team_json(t), public=True)


def _people(handles: list[str]) -> list[Segment]:
    out: list[Segment] = []
    for i, h in enumerate(handles):
        out += ([", "] if i else []) + [Mention(h)]
    return out or ["none"]


def show(call: Call, cmd: commands.TeamShow) -> Reply:
    t = access.team_or_mine(call, cmd.team, what="to show", how="`team show <team>`")
    children = [x for x in call.uow.teams.list() if x.parent == t.handle and not x.archived]
    path = " › ".join([a.handle for a in reversed(access.ancestors(call, t))] + [t.handle])
    lines: list[Line] = [
        line(f"{path} — ", Quote(t.name), *([" (archived)"] if t.archived else [])),
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
    everyone = list(call.uow.teams.list())
    teams = [t for t in everyone if not t.archived]
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
    archived = [t.handle for t in everyone if t.archived]
    if archived:
        lines.append(line(f"Archived (not shown; `team show <team>` still shows them): {', '.join(archived)}"))
    return reply(*lines, data=[team_json(t) for t in teams])
