"""`dep ...`: requests between teams. Which move may happen in which state is the dependency's
own business (core.model.DEP_MOVES); here are who may make it and who is told."""

from __future__ import annotations

from core import access, commands, rules
from core.context import Call, new_number
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.handlers.checks import future_date, text
from core.json_shapes import dependency_json, event_json
from core.model import Dependency, DepMove, Kind, Team
from core.offers import Offer, dependency_offers
from core.record_lines import counted, dependency_line
from core.reply import Line, Mention, Notice, Quote, Reply, line, reply


def _notify_team(
    t: Team, lines: tuple[Line, ...], key: str, *, leads: bool, offers: tuple[Offer, ...] = ()
) -> tuple[Notice, ...]:
    notices = []
    if t.channel:
        notices.append(Notice(lines=lines, channel=t.channel, key=f"{key}:#{t.channel}", offers=offers))
    if leads:
        notices += [Notice(lines=lines, person=h, key=f"{key}:@{h}", offers=offers) for h in t.leads]
    return tuple(notices)


def _side(call: Call, d: Dependency) -> tuple[bool, bool]:
    req, prov = access.team(call, d.from_team), access.team(call, d.to_team)
    return req.has_member(call.actor), prov.has_member(call.actor)


def _refuse(d: Dependency, move: DepMove) -> None:
    """The dependency's own state machine says whether this move may happen now (core.model)."""
    refused = d.refusal(move)
    if refused is not None:
        raise Conflict(refused)


def _move(call: Call, d: Dependency, move: DepMove, **data: object) -> None:
    _refuse(d, move)
    before = d.apply(move, call.now)
    call.uow.dependencies.save(d)
    kind = "dependency.unblocked" if move is DepMove.UNBLOCK else f"dependency.{d.state.value}"
    call.record(kind, d.id, before=before.value, after=d.state.value, **data)


def _offers(call: Call, d: Dependency) -> tuple[Offer, ...]:
    """What the person reading a reply about `d` can do next, from their side of it."""
    requester, provider = _side(call, d)
    return dependency_offers(d, requester=requester, provider=provider)


def request(call: Call, cmd: commands.DepRequest) -> Reply:
    provider = access.active_team(call, cmd.to_team)
    requester = access.team_or_mine(call, cmd.team, what="is asking", active=True)
    access.require_member(call, requester, f"request something for {requester.handle}")
    rules.not_self_dependency(requester.handle, provider.handle)
    what = text(cmd.what, "request")
    needed_by = future_date(call, cmd.by, "needed-by date")
    if cmd.for_priority is not None:
        p = access.priority(call, cmd.for_priority)
        if not p.is_open:
            raise Conflict(f"{p.id} is {p.status.value}; a dependency must serve an open priority.")
    d = Dependency(
        number=new_number(call.uow, Kind.DEPENDENCY), from_team=requester.handle, to_team=provider.handle,
        what=what, needed_by=needed_by, created_at=call.now, updated_at=call.now,
        for_priority=cmd.for_priority, requester_owner=call.actor,
    )  # fmt: skip
    call.uow.dependencies.save(d)
    call.record("dependency.requested", d.id, **{k: v for k, v in dependency_json(d).items() if k != "id"})
    ask = (
        line(f"{requester.handle} asks {provider.handle} for ", Quote(what), f" by {needed_by} ({d.id}), "
             "requested by ", Mention(call.actor), "."),
    )  # fmt: skip
    answer = dependency_offers(d, provider=True)
    return reply(
        line(f"{d.id} requested: {requester.handle} → {provider.handle}: ", Quote(what), f" by {needed_by}."),
        line(f"{provider.handle} has been asked to accept or decline."),
        data=dependency_json(d), public=True,
        notices=_notify_team(provider, ask, f"{d.id}:requested", leads=True, offers=answer),
    )  # fmt: skip


def accept(call: Call, cmd: commands.DepAccept) -> Reply:
    d = access.dependency(call, cmd.number)
    provider = access.team(call, d.to_team)
    access.require_member(call, provider, f"accept {d.id} (it asks {provider.handle})")
    owner = cmd.owner or call.actor
    if cmd.owner is not None:
        named = access.person(call, cmd.owner)
        if not provider.has_member(named.handle):
            raise InvalidInput(f"{named.name} is not in {provider.handle}: the owner on the providing side must be "
                               f"one of its members (`team add {provider.handle} @name` first).")  # fmt: skip
    _refuse(d, DepMove.ACCEPT)  # before the date: an accepted one needs no --commit to say so
    committed = future_date(call, cmd.commit, "committed date") if cmd.commit else d.needed_by
    if committed < call.today:
        raise InvalidInput(f"{d.id} was needed by {d.needed_by}, which has passed: say when with --commit <date>.")
    d.provider_owner, d.committed, d.answered_at = owner, committed, call.now
    _move(call, d, DepMove.ACCEPT, provider_owner=owner, committed=committed.isoformat())
    late = f" (needed by {d.needed_by}: {(committed - d.needed_by).days} days late)" if committed > d.needed_by else ""
    told = (line(f"{provider.handle} accepted {d.id} ", Quote(d.what), f": committed {committed}{late}, owner ",
                 Mention(owner), "."),)  # fmt: skip
    requester = access.team(call, d.from_team)
    then = dependency_offers(d, requester=True)
    notices = _notify_team(requester, told, f"{d.id}:accepted", leads=False, offers=then)
    if d.requester_owner and requester.channel is None:
        notices += (Notice(lines=told, person=d.requester_owner, key=f"{d.id}:accepted:@{d.requester_owner}",
                           offers=then),)  # fmt: skip
    return reply(
        line(f"{d.id} accepted: committed {committed}{late}, owner ", Mention(owner), "."),
        data=dependency_json(d), public=True, notices=notices, offers=_offers(call, d),
    )  # fmt: skip


def decline(call: Call, cmd: commands.DepDecline) -> Reply:
    d = access.dependency(call, cmd.number)
    provider = access.team(call, d.to_team)
    access.require_member(call, provider, f"decline {d.id} (it asks {provider.handle})")
    why = text(cmd.why, "reason", field="reason")
    _refuse(d, DepMove.DECLINE)
    d.declined_reason, d.answered_at = why, call.now
    _move(call, d, DepMove.DECLINE, reason=why)
    told = (line(f"{provider.handle} declined {d.id} ", Quote(d.what), ": ", Quote(why)),)
    requester = access.team(call, d.from_team)
    notices = _notify_team(requester, told, f"{d.id}:declined", leads=True)
    return reply(line(f"{d.id} declined: ", Quote(why)), data=dependency_json(d), public=True, notices=notices)


def block(call: Call, cmd: commands.DepBlock) -> Reply:
    d = access.dependency(call, cmd.number)
    if not any(_side(call, d)):
        raise PermissionDenied(f"Only members of {d.from_team} or {d.to_team} can block {d.id}.")
    why = text(cmd.why, "reason", field="reason")
    _refuse(d, DepMove.BLOCK)
    d.blocked_reason, d.blocked_from = why, d.state
    _move(call, d, DepMove.BLOCK, reason=why)
    told = (line(f"{d.id} ", Quote(d.what), " is blocked: ", Quote(why), " (by ", Mention(call.actor), ")"),)
    other = d.from_team if _side(call, d)[1] else d.to_team
    notices = _notify_team(access.team(call, other), told, f"{d.id}:blocked:{call.now.isoformat()}", leads=False)
    return reply(line(f"{d.id} blocked: ", Quote(why)), data=dependency_json(d), public=True, notices=notices)


def unblock(call: Call, cmd: commands.DepUnblock) -> Reply:
    d = access.dependency(call, cmd.number)
    if not any(_side(call, d)):
        raise PermissionDenied(f"Only members of {d.from_team} or {d.to_team} can unblock {d.id}.")
    _refuse(d, DepMove.UNBLOCK)
    _move(call, d, DepMove.UNBLOCK)
    d.blocked_reason, d.blocked_from = None, None
    call.uow.dependencies.save(d)
    return reply(line(f"{d.id} unblocked: back to {d.state.value}."), data=dependency_json(d), public=True,
                 offers=_offers(call, d))  # fmt: skip


def done(call: Call, cmd: commands.DepDone) -> Reply:
    d = access.dependency(call, cmd.number)
    if not any(_side(call, d)):
        raise PermissionDenied(f"Only members of {d.from_team} or {d.to_team} can mark {d.id} delivered.")
    _refuse(d, DepMove.DELIVER)
    d.delivered_at, d.blocked_reason, d.blocked_from = call.now, None, None
    _move(call, d, DepMove.DELIVER)
    on_time = d.committed or d.needed_by
    late = "" if call.today <= on_time else f" ({(call.today - on_time).days} days after {on_time})"
    told = (line(f"{d.id} ", Quote(d.what), f" delivered by {d.to_team}{late}."),)
    notices = _notify_team(access.team(call, d.from_team), told, f"{d.id}:delivered", leads=False)
    return reply(line(f"{d.id} delivered{late}."), data=dependency_json(d), public=True, notices=notices)


def cancel(call: Call, cmd: commands.DepCancel) -> Reply:
    d = access.dependency(call, cmd.number)
    if not _side(call, d)[0]:
        raise PermissionDenied(f"Only members of {d.from_team} (the requesting team) can cancel {d.id}.")
    _refuse(d, DepMove.CANCEL)
    d.blocked_reason, d.blocked_from = None, None
    _move(call, d, DepMove.CANCEL)
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
    return reply(*lines, data=dependency_json(d) | {"history": [event_json(e) for e in history]},
                 offers=_offers(call, d))  # fmt: skip
