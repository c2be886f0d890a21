"""`dep ...`: requests between teams and their state machine.

requested -> accepted | declined; accepted -> delivered; requested/accepted <-> blocked;
requested/accepted/blocked -> cancelled (by the requesting side).
"""

from __future__ import annotations

from core import access, commands
from core.contracts import dependency_json, event_json
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.handlers.checks import future_date, text
from core.model import Dependency, DepState, Kind, Team
from core.reply import Line, Mention, Notice, Quote, Reply, line, reply
from core.service import Call
from core.views import counted, dependency_line


def _notify_team(t: Team, lines: tuple[Line, ...], key: str, *, leads: bool) -> tuple[Notice, ...]:
    notices = []
    if t.channel:
        notices.append(Notice(lines=lines, channel=t.channel, key=f"{key}:#{t.channel}"))
    if leads:
        notices += [Notice(lines=lines, person=h, key=f"{key}:@{h}") for h in t.leads]
    return tuple(notices)


def _side(call: Call, d: Dependency) -> tuple[bool, bool]:
    req, prov = access.team(call, d.from_team), access.team(call, d.to_team)
    return req.has_member(call.actor), prov.has_member(call.actor)


def _move(
    call: Call, d: Dependency, to: DepState, allowed: set[DepState], verb: str, kind: str | None = None, **data: object
) -> None:
    if d.state is to:
        raise Conflict(f"{d.id} is already {to.value}.")
    if d.state not in allowed:
        raise Conflict(f"{d.id} is {d.state.value}, so it can't be {verb}.")
    before = d.state
    d.state, d.updated_at = to, call.now
    call.uow.dependencies.save(d)
    call.record(kind or f"dependency.{to.value}", d.id, before=before.value, after=to.value, **data)


def request(call: Call, cmd: commands.DepRequest) -> Reply:
    provider = access.team(call, cmd.to_team)
    requester = access.team_or_mine(call, cmd.team, what="is asking")
    access.require_member(call, requester, f"request something for {requester.handle}")
    if provider.handle == requester.handle:
        raise InvalidInput("A team can't depend on itself: ask another team.")
    what = text(cmd.what, "request")
    needed_by = future_date(call, cmd.by, "needed-by date")
    if cmd.for_priority is not None:
        p = access.priority(call, cmd.for_priority)
        if not p.is_open:
            raise Conflict(f"{p.id} is {p.status.value}; a dependency must serve an open priority.")
    d = Dependency(
        number=call.uow.ids.next(Kind.DEPENDENCY), from_team=requester.handle, to_team=provider.handle,
        what=what, needed_by=needed_by, created_at=call.now, updated_at=call.now,
        for_priority=cmd.for_priority, requester_owner=call.actor,
    )  # fmt: skip
    call.uow.dependencies.save(d)
    call.record("dependency.requested", d.id, **{k: v for k, v in dependency_json(d).items() if k != "id"})
    ask = (
        line(f"{requester.handle} asks {provider.handle} for ", Quote(what), f" by {needed_by} ({d.id}), "
             "requested by ", Mention(call.actor), "."),
        line(f"Accept: `dep accept {d.id} [--commit <date>]` · decline: `dep decline {d.id} \"<why>\"`"),
    )  # fmt: skip
    return reply(
        line(f"{d.id} requested: {requester.handle} → {provider.handle}: ", Quote(what), f" by {needed_by}."),
        line(f"{provider.handle} has been asked to accept or decline."),
        data=dependency_json(d), public=True,
        notices=_notify_team(provider, ask, f"{d.id}:requested", leads=True),
    )  # fmt: skip


def accept(call: Call, cmd: commands.DepAccept) -> Reply:
    d = access.dependency(call, cmd.number)
    provider = access.team(call, d.to_team)
    access.require_member(call, provider, f"accept {d.id} (it asks {provider.handle})")
    owner = cmd.owner or call.actor
    if cmd.owner is not None:
        access.person(call, cmd.owner)
    committed = future_date(call, cmd.commit, "committed date") if cmd.commit else d.needed_by
    if committed < call.today:
        raise InvalidInput(f"{d.id} was needed by {d.needed_by}, which has passed: say when with --commit <date>.")
    if d.state is DepState.ACCEPTED:
        raise Conflict(f"{d.id} is already accepted.")
    if d.state is not DepState.REQUESTED:
        raise Conflict(f"{d.id} is {d.state.value}, so it can't be accepted.")
    d.provider_owner, d.committed, d.answered_at = owner, committed, call.now
    _move(call, d, DepState.ACCEPTED, {DepState.REQUESTED}, "accepted",
          provider_owner=owner, committed=committed.isoformat())  # fmt: skip
    late = f" (needed by {d.needed_by}: {(committed - d.needed_by).days} days late)" if committed > d.needed_by else ""
    told = (line(f"{provider.handle} accepted {d.id} ", Quote(d.what), f": committed {committed}{late}, owner ",
                 Mention(owner), "."),)  # fmt: skip
    requester = access.team(call, d.from_team)
    notices = _notify_team(requester, told, f"{d.id}:accepted", leads=False)
    if d.requester_owner and requester.channel is None:
        notices += (Notice(lines=told, person=d.requester_owner, key=f"{d.id}:accepted:@{d.requester_owner}"),)
    return reply(
        line(f"{d.id} accepted: committed {committed}{late}, owner ", Mention(owner), "."),
        data=dependency_json(d), public=True, notices=notices,
    )  # fmt: skip


def decline(call: Call, cmd: commands.DepDecline) -> Reply:
    d = access.dependency(call, cmd.number)
    provider = access.team(call, d.to_team)
    access.require_member(call, provider, f"decline {d.id} (it asks {provider.handle})")
    why = text(cmd.why, "reason")
    d.declined_reason, d.answered_at = why, call.now
    _move(call, d, DepState.DECLINED, {DepState.REQUESTED}, "declined", reason=why)
    told = (line(f"{provider.handle} declined {d.id} ", Quote(d.what), ": ", Quote(why)),)
    requester = access.team(call, d.from_team)
    notices = _notify_team(requester, told, f"{d.id}:declined", leads=True)
    return reply(line(f"{d.id} declined: ", Quote(why)), data=dependency_json(d), public=True, notices=notices)


def block(call: Call, cmd: commands.DepBlock) -> Reply:
    d = access.dependency(call, cmd.number)
    if not any(_side(call, d)):
        raise PermissionDenied(f"Only members of {d.from_team} or {d.to_team} can block {d.id}.")
    why = text(cmd.why, "reason")
    before = d.state
    d.blocked_reason, d.blocked_from = why, before
    _move(call, d, DepState.BLOCKED, {DepState.REQUESTED, DepState.ACCEPTED}, "blocked", reason=why)
    told = (line(f"{d.id} ", Quote(d.what), " is blocked: ", Quote(why), " (by ", Mention(call.actor), ")"),)
    other = d.from_team if _side(call, d)[1] else d.to_team
    notices = _notify_team(access.team(call, other), told, f"{d.id}:blocked:{call.now.isoformat()}", leads=False)
    return reply(line(f"{d.id} blocked: ", Quote(why)), data=dependency_json(d), public=True, notices=notices)


def unblock(call: Call, cmd: commands.DepUnblock) -> Reply:
    d = access.dependency(call, cmd.number)
    if not any(_side(call, d)):
        raise PermissionDenied(f"Only members of {d.from_team} or {d.to_team} can unblock {d.id}.")
    back = d.blocked_from or (DepState.ACCEPTED if d.provider_owner else DepState.REQUESTED)
    d.blocked_reason, d.blocked_from = None, None
    _move(call, d, back, {DepState.BLOCKED}, "unblocked", kind="dependency.unblocked")
    return reply(line(f"{d.id} unblocked: back to {back.value}."), data=dependency_json(d), public=True)


def done(call: Call, cmd: commands.DepDone) -> Reply:
    d = access.dependency(call, cmd.number)
    if not any(_side(call, d)):
        raise PermissionDenied(f"Only members of {d.from_team} or {d.to_team} can mark {d.id} delivered.")
    d.delivered_at, d.blocked_reason, d.blocked_from = call.now, None, None
    _move(call, d, DepState.DELIVERED, {DepState.ACCEPTED}, "delivered")
    on_time = d.committed or d.needed_by
    late = "" if call.today <= on_time else f" ({(call.today - on_time).days} days after {on_time})"
    told = (line(f"{d.id} ", Quote(d.what), f" delivered by {d.to_team}{late}."),)
    notices = _notify_team(access.team(call, d.from_team), told, f"{d.id}:delivered", leads=False)
    return reply(line(f"{d.id} delivered{late}."), data=dependency_json(d), public=True, notices=notices)


def cancel(call: Call, cmd: commands.DepCancel) -> Reply:
    d = access.dependency(call, cmd.number)
    if not _side(call, d)[0]:
        raise PermissionDenied(f"Only members of {d.from_team} (the requesting team) can cancel {d.id}.")
    d.blocked_reason, d.blocked_from = None, None
    _move(call, d, DepState.CANCELLED, {DepState.REQUESTED, DepState.ACCEPTED, DepState.BLOCKED}, "cancelled")
    told = (line(f"{d.from_team} cancelled {d.id} ", Quote(d.what), ": no longer needed."),)
    notices = _notify_team(access.team(call, d.to_team), told, f"{d.id}:cancelled", leads=False)
    return reply(line(f"{d.id} cancelled."), data=dependency_json(d), public=True, notices=notices)


def list_(call: Call, cmd: commands.DepList) -> Reply:
    team = access.optional_team_or_mine(call, cmd.team)
    deps = list(call.uow.dependencies.list())
    if team is not None:
        h = team.handle
        if cmd.direction == "incoming":
            deps = [d for d in deps if d.to_team == h]
        elif cmd.direction == "outgoing":
            deps = [d for d in deps if d.from_team == h]
        else:
            deps = [d for d in deps if h in (d.from_team, d.to_team)]
    elif cmd.direction is not None:
        raise InvalidInput(f"--{cmd.direction} needs a team: give --team.")
    deps = [d for d in deps if d.is_open] + [d for d in deps if not d.is_open]
    scope = f"{team.handle} ({cmd.direction or 'both ways'})" if team else "the whole organisation"
    lines: list[Line] = [counted(len(deps), "dependency", "dependencies", scope)]
    lines += [line("  ", *dependency_line(d)) for d in deps]
    return reply(*lines, data=[dependency_json(d) for d in deps])


def show(call: Call, cmd: commands.DepShow) -> Reply:
    d = access.dependency(call, cmd.number)
    history = [e for e in call.uow.events.list() if e.subject == d.id]
    lines: list[Line] = [
        line(*dependency_line(d)),
        line("Requester: ", Mention(d.requester_owner) if d.requester_owner else "nobody",
             " · provider owner: ", Mention(d.provider_owner) if d.provider_owner else "nobody yet"),
    ]  # fmt: skip
    if d.declined_reason:
        lines.append(line("Declined: ", Quote(d.declined_reason)))
    lines.append(line(f"History ({len(history)}):"))
    lines += [line(f"  {e.at.date().isoformat()} {e.kind.split('.')[-1]} by ", Mention(e.actor)) for e in history]
    return reply(*lines, data=dependency_json(d) | {"history": [event_json(e) for e in history]})
