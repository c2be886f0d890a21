"""`blocker add|resolve|list`: anyone can raise one; it may point at a team, a dependency or a priority."""

from __future__ import annotations

import re

from core import access, commands
from core.context import Call, new_number
from core.errors import Conflict
from core.handlers.checks import text
from core.json_shapes import blocker_json
from core.model import Blocker, BlockerState, Kind
from core.offers import blocker_offers
from core.record_lines import blocker_line, counted
from core.reply import Line, Mention, Notice, Quote, Reply, line, reply

_ID = re.compile(r"^([PD])-(\d+)$")


def _target(call: Call, on: str) -> str:
    m = _ID.match(on)
    if m is None:
        return access.active_team(call, on).handle
    number = int(m.group(2))
    return (access.priority if m.group(1) == "P" else access.dependency)(call, number).id


def add(call: Call, cmd: commands.BlockerAdd) -> Reply:
    body = text(cmd.text, "blocker text")
    team = None  # in no team: an organisation-wide blocker
    if cmd.team is not None or access.my_teams(call):
        team = access.team_or_mine(call, cmd.team, what="the blocker is for", active=True)
    on = _target(call, cmd.on) if cmd.on else None
    b = Blocker(number=new_number(call.uow, Kind.BLOCKER), text=body, raised_by=call.actor, raised_at=call.now,
                team=team.handle if team else None, on=on)  # fmt: skip
    call.uow.blockers.save(b)
    call.record("blocker.raised", b.id, text=body, team=b.team, on=on)
    where = f" for {b.team}" if b.team else ""
    target = f" on {on}" if on else ""
    return reply(line(f"{b.id} raised{where}{target}: ", Quote(body)), data=blocker_json(b), public=True,
                 offers=blocker_offers(b))  # fmt: skip


def resolve(call: Call, cmd: commands.BlockerResolve) -> Reply:
    b = access.blocker(call, cmd.number)
    if b.state is BlockerState.RESOLVED:
        raise Conflict(f"{b.id} is already resolved.")
    b.state, b.resolved_by, b.resolved_at = BlockerState.RESOLVED, call.actor, call.now
    call.uow.blockers.save(b)
    age = (call.now - b.raised_at).days
    call.record("blocker.resolved", b.id, age_days=age)
    told = (line(f"{b.id} ", Quote(b.text), f"{f' on {b.on}' if b.on else ''} was resolved by ", Mention(call.actor),
                 f" after {age} day{'s' if age != 1 else ''}."),)  # fmt: skip
    people = [h for h in dict.fromkeys([b.raised_by, *_owners_of(call, b.on)]) if h != call.actor]
    notices = tuple(Notice(lines=told, person=h, key=f"{b.id}:resolved:@{h}") for h in people)
    return reply(line(f"{b.id} resolved after {age} day{'s' if age != 1 else ''}: ", Quote(b.text)),
                 data=blocker_json(b), public=True, notices=notices)  # fmt: skip


def _owners_of(call: Call, on: str | None) -> list[str]:
    """Who answers for what a blocker was on: a priority's owner, a dependency's owners on both sides,
    a team's leads."""
    if on is None:
        return []
    prefix, _, digits = on.partition("-")
    if prefix == "P" and digits.isdigit():
        p = call.uow.priorities.get(int(digits))
        return [p.owner] if p is not None and p.owner else []
    if prefix == "D" and digits.isdigit():
        d = call.uow.dependencies.get(int(digits))
        return [h for h in (d.requester_owner, d.provider_owner) if h] if d is not None else []
    t = call.uow.teams.get(on)
    return list(t.leads) if t is not None else []


def list_(call: Call, cmd: commands.BlockerList) -> Reply:
    team = access.optional_team_or_mine(call, cmd.team)
    found = [b for b in call.uow.blockers.list() if b.state is BlockerState.OPEN]
    if team is not None:
        h = team.handle
        deps = {d.id for d in call.uow.dependencies.list() if h in (d.from_team, d.to_team)}
        prios = {p.id for p in call.uow.priorities.list() if p.team == h}
        found = [b for b in found if b.team == h or b.on == h or b.on in deps | prios]
    scope = team.handle if team else "the whole organisation"
    lines: list[Line] = [counted(len(found), "open blocker", "open blockers", scope)]
    lines += [line("  ", *blocker_line(b), f" · {(call.now - b.raised_at).days}d old") for b in found]
    return reply(*lines, data=[blocker_json(b) for b in found])
