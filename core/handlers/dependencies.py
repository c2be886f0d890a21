"""`dep ...`: requests between teams. Which move may happen in which state is the dependency's
own business (core.model.DEP_MOVES); here are who may make it and who is told."""

from __future__ import annotations

from datetime import date

from core import access, commands, rules, slips
from core.context import Call, new_number
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.handlers.checks import future_date, text
from core.json_shapes import dependency_json, event_json
from core.model import Dependency, DepMove, Kind, Replan, Team
from core.offers import Offer, dependency_offers
from core.record_lines import counted, dependency_line
from core.reply import Line, Mention, Notice, Quote, Reply, line, reply, said


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


_EVENT = {DepMove.UNBLOCK: "dependency.unblocked", DepMove.AGREE: "dependency.agreed",
          DepMove.REJECT: "dependency.rejected", DepMove.COMMIT: "dependency.replanned"}  # fmt: skip
"""Event kinds of the moves whose name is not the state they lead to."""


def _move(call: Call, d: Dependency, move: DepMove, **data: object) -> None:
    _refuse(d, move)
    before = d.apply(move, call.now)
    call.uow.dependencies.save(d)
    kind = _EVENT.get(move) or f"dependency.{d.state.value}"
    call.record(kind, d.id, before=before.value, after=d.state.value, **data)


def _people(t: Team, lines: tuple[Line, ...], key: str, people: list[str], *, actor: str,
            offers: tuple[Offer, ...] = ()) -> tuple[Notice, ...]:  # fmt: skip
    """The team's channel, and each person once (never the one who made the change: the reply tells them)."""
    notices = [Notice(lines=lines, channel=t.channel, key=f"{key}:#{t.channel}", offers=offers)] if t.channel else []
    for h in dict.fromkeys(people):
        if h != actor:
            notices.append(Notice(lines=lines, person=h, key=f"{key}:@{h}", offers=offers))
    return tuple(notices)


def _side_owner(t: Team, owner: str | None) -> list[str]:
    """Who answers for a side: its owner, or its leads when it has none."""
    return [owner] if owner else list(t.leads)


def _follow_through(call: Call, d: Dependency, told: tuple[Line, ...], key: str) -> tuple[Notice, ...]:
    """Delivered or moving again: the requesting team's channel, the requester's owner, the owners of
    the priorities it serves, and everyone a slip alert about it reached."""
    served = slips.owners(slips.chain(d, call.uow.priorities.list()))
    people = [*([d.requester_owner] if d.requester_owner else []), *served, *slips.alerted(call.uow, d)]
    return _people(access.team(call, d.from_team), told, key, people, actor=call.actor)


def _alert(call: Call, d: Dependency, kind: str, told: tuple[Notice, ...]) -> tuple[Notice, ...]:
    """Queue the slip alerts of this change (core.slips) for the owners up the chain, except whoever
    made it and whoever this command already tells in person: one message per person per change."""
    slips.queue(call.uow, d, kind, call.now, besides={call.actor, *(n.person for n in told if n.person)})
    return told


def _late_move(call: Call, d: Dependency, before: date | None, told: tuple[Notice, ...]) -> tuple[Notice, ...]:
    """A committed date that moved later, past needed-by or the served priority's due date, alerts the
    owners up the chain; a move earlier never does."""
    moved_later = before is None or (d.committed is not None and d.committed > before)
    if moved_later and slips.late(d, call.uow.priorities.list()):
        _alert(call, d, slips.REPLANNED, told)
    return told


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
    d.proposed, d.proposed_reason = None, None
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
        data=dependency_json(d), public=True, notices=_late_move(call, d, None, notices), offers=_offers(call, d),
    )  # fmt: skip


def decline(call: Call, cmd: commands.DepDecline) -> Reply:
    d = access.dependency(call, cmd.number)
    provider = access.team(call, d.to_team)
    access.require_member(call, provider, f"decline {d.id} (it asks {provider.handle})")
    why = text(cmd.why, "reason", field="reason")
    _refuse(d, DepMove.DECLINE)
    d.declined_reason, d.answered_at = why, call.now
    d.proposed, d.proposed_reason = None, None
    _move(call, d, DepMove.DECLINE, reason=why)
    told = (line(f"{provider.handle} declined {d.id} ", Quote(d.what), ": ", Quote(why)),)
    requester = access.team(call, d.from_team)
    notices = _alert(call, d, slips.DECLINED, _notify_team(requester, told, f"{d.id}:declined", leads=True))
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
    key = f"{d.id}:blocked:{call.now.isoformat()}"
    notices = _alert(call, d, slips.BLOCKED, _notify_team(access.team(call, other), told, key, leads=False))
    return reply(line(f"{d.id} blocked: ", Quote(why)), data=dependency_json(d), public=True, notices=notices)


def unblock(call: Call, cmd: commands.DepUnblock) -> Reply:
    d = access.dependency(call, cmd.number)
    if not any(_side(call, d)):
        raise PermissionDenied(f"Only members of {d.from_team} or {d.to_team} can unblock {d.id}.")
    _refuse(d, DepMove.UNBLOCK)
    _move(call, d, DepMove.UNBLOCK)
    d.blocked_reason, d.blocked_from = None, None
    call.uow.dependencies.save(d)
    told = (line(f"{d.id} ", Quote(d.what), f" ({d.from_team} → {d.to_team}) is moving again: unblocked by ",
                 Mention(call.actor), f", back to {d.state.value}."),)  # fmt: skip
    notices = _follow_through(call, d, told, f"{d.id}:unblocked:{d.revision}")
    return reply(line(f"{d.id} unblocked: back to {d.state.value}."), data=dependency_json(d), public=True,
                 offers=_offers(call, d), notices=notices)  # fmt: skip


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
    notices = _follow_through(call, d, told, f"{d.id}:delivered")
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


def propose(call: Call, cmd: commands.DepPropose) -> Reply:
    d = access.dependency(call, cmd.number)
    provider = access.team(call, d.to_team)
    access.require_member(call, provider, f"propose a date for {d.id} (it asks {provider.handle})")
    _refuse(d, DepMove.PROPOSE)
    when = future_date(call, cmd.date, "proposed date")
    why = text(cmd.why, "reason", field="reason") if cmd.why is not None else None
    if when == d.needed_by:
        raise InvalidInput(f"{when} is the date {d.id} is needed by: accept it instead (`dep accept {d.id}`).")
    if when == d.proposed:
        raise Conflict(f"{d.id} already proposes {when}.")
    d.proposed, d.proposed_reason, d.answered_at = when, why, call.now
    d.provider_owner = d.provider_owner or call.actor
    _move(call, d, DepMove.PROPOSE, proposed=when.isoformat(), reason=why)
    shift = f"{abs((when - d.needed_by).days)} days {'later' if when > d.needed_by else 'earlier'}"
    # What the requester may answer is in the offers (Agree, Reject), rendered by each adapter.
    told = (line(f"{provider.handle} proposes {when} for {d.id} ", Quote(d.what), f" (needed by {d.needed_by}, "
                 f"{shift})", *said(": ", why), "."),)  # fmt: skip
    requester = access.team(call, d.from_team)
    notices = _people(requester, told, f"{d.id}:proposed:{d.revision}", _side_owner(requester, d.requester_owner),
                      actor=call.actor, offers=dependency_offers(d, requester=True))  # fmt: skip
    return reply(line(f"{d.id}: proposed {when} to {requester.handle} (needed by {d.needed_by}, {shift}); they "
                      "have been asked to agree or reject."),
                 data=dependency_json(d), public=True, notices=notices, offers=_offers(call, d))  # fmt: skip


def agree(call: Call, cmd: commands.DepAgree) -> Reply:
    d = access.dependency(call, cmd.number)
    requester = access.team(call, d.from_team)
    access.require_member(call, requester, f"agree to the date proposed for {d.id} (it asks for {requester.handle})")
    _refuse(d, DepMove.AGREE)
    when = d.proposed
    assert when is not None  # a proposed dependency has its date
    if when < call.today:
        raise Conflict(f"The proposed date {when} of {d.id} has passed: reject it and ask for another "
                       f'(`dep reject {d.id} "<why>"`).')  # fmt: skip
    d.committed, d.proposed, d.proposed_reason = when, None, None
    _move(call, d, DepMove.AGREE, committed=when.isoformat())
    provider = access.team(call, d.to_team)
    told = (line(f"{requester.handle} agreed to {when} for {d.id} ", Quote(d.what), ": it is accepted, committed "
                 f"{when}."),)  # fmt: skip
    notices = _people(provider, told, f"{d.id}:agreed:{d.revision}", _side_owner(provider, d.provider_owner),
                      actor=call.actor, offers=dependency_offers(d, provider=True))  # fmt: skip
    notices = _late_move(call, d, None, notices)
    return reply(line(f"{d.id} accepted: committed {when}, as {provider.handle} proposed."),
                 data=dependency_json(d), public=True, notices=notices, offers=_offers(call, d))  # fmt: skip


def reject(call: Call, cmd: commands.DepReject) -> Reply:
    d = access.dependency(call, cmd.number)
    requester = access.team(call, d.from_team)
    access.require_member(call, requester, f"reject the date proposed for {d.id} (it asks for {requester.handle})")
    why = text(cmd.why, "reason", field="reason")
    _refuse(d, DepMove.REJECT)
    was = d.proposed
    d.proposed, d.proposed_reason = None, None
    _move(call, d, DepMove.REJECT, proposed=was.isoformat() if was else None, reason=why)
    provider = access.team(call, d.to_team)
    told = (line(f"{requester.handle} rejected {was} for {d.id} ", Quote(d.what), ": ", Quote(why)),
            line(f"It is requested again, needed by {d.needed_by}: accept it or propose another date."))  # fmt: skip
    notices = _people(provider, told, f"{d.id}:rejected:{d.revision}", _side_owner(provider, d.provider_owner),
                      actor=call.actor, offers=dependency_offers(d, provider=True))  # fmt: skip
    return reply(line(f"{d.id}: {was} rejected; requested again, needed by {d.needed_by}."),
                 data=dependency_json(d), public=True, notices=notices, offers=_offers(call, d))  # fmt: skip


def commit(call: Call, cmd: commands.DepCommit) -> Reply:
    d = access.dependency(call, cmd.number)
    provider = access.team(call, d.to_team)
    access.require_member(call, provider, f"re-plan {d.id} (it asks {provider.handle})")
    _refuse(d, DepMove.COMMIT)
    when = future_date(call, cmd.date, "committed date")
    why = text(cmd.why, "reason", field="reason")
    before = d.committed
    if when == before:
        raise Conflict(f"{d.id} is already committed to {when}.")
    d.replans.append(Replan(at=call.now, by=call.actor, before=before, after=when, why=why))
    d.committed = when
    _move(call, d, DepMove.COMMIT, **{"from": before.isoformat() if before else None, "to": when.isoformat(),
                                      "reason": why})  # fmt: skip
    way = "later" if before is None or when > before else "earlier"
    late = f" (needed by {d.needed_by}: {(when - d.needed_by).days} days late)" if when > d.needed_by else ""
    told = (line(f"{provider.handle} re-planned {d.id} ", Quote(d.what), f": committed {before} → {when}{late}: ",
                 Quote(why)),)  # fmt: skip
    requester = access.team(call, d.from_team)
    notices = _people(requester, told, f"{d.id}:replanned:{d.revision}", _side_owner(requester, d.requester_owner),
                      actor=call.actor, offers=dependency_offers(d, requester=True))  # fmt: skip
    notices = _late_move(call, d, before, notices)
    return reply(line(f"{d.id} re-planned {way}: committed {before} → {when}{late}. {requester.handle} has been told."),
                 data=dependency_json(d), public=True, notices=notices, offers=_offers(call, d))  # fmt: skip


def owner(call: Call, cmd: commands.DepOwner) -> Reply:
    d = access.dependency(call, cmd.number)
    requester, provider = access.team(call, d.from_team), access.team(call, d.to_team)
    named = access.person(call, cmd.person)
    admin = access.is_admin(call)
    sides = [t for t in (requester, provider) if t.has_member(call.actor) or admin]
    if not sides:
        raise PermissionDenied(f"Only members of {d.from_team} or {d.to_team} (or an admin) can name an owner of "
                               f"{d.id}.")  # fmt: skip
    side = next((t for t in sides if t.has_member(named.handle)), None)
    if side is None:
        names = " or ".join(t.handle for t in sides)
        raise InvalidInput(f"{named.name} is not in {names}: the owner of a side must be one of its members "
                           f"(`team add {sides[0].handle} @name` first).")  # fmt: skip
    requesting = side is requester
    before = d.requester_owner if requesting else d.provider_owner
    if before == named.handle:
        raise Conflict(f"{named.name} already owns {d.id} for {side.handle}.")
    if requesting:
        d.requester_owner = named.handle
    else:
        d.provider_owner = named.handle
    d.updated_at = call.now
    call.uow.dependencies.save(d)
    call.record("dependency.owner", d.id, side="requester" if requesting else "provider", team=side.handle,
                before=before, after=named.handle)  # fmt: skip
    told = (line(Mention(call.actor), f" named you the owner of {d.id} ", Quote(d.what),
                 f" for {side.handle} ({d.from_team} → {d.to_team}, {d.state.value})."),)  # fmt: skip
    notices = () if named.handle == call.actor else (
        Notice(lines=told, person=named.handle, key=f"{d.id}:owner:{call.now.isoformat()}:@{named.handle}",
               offers=dependency_offers(d, requester=requesting, provider=not requesting)),)  # fmt: skip
    return reply(line(Mention(named.handle), f" now owns {d.id} for {side.handle}",
                      *((" (was ", Mention(before), ")") if before else ()), "."),
                 data=dependency_json(d), public=True, notices=notices)  # fmt: skip


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
    if d.proposed:
        lines.append(line(f"Proposed: {d.proposed} (needed by {d.needed_by})",
                          *said(": ", d.proposed_reason),
                          f" — waiting on {d.from_team} to agree or reject."))  # fmt: skip
    if d.replans:
        lines.append(line(f"Re-plans ({len(d.replans)}):"))
        lines += [line(f"  {r.at.date().isoformat()} {r.before} → {r.after} by ", Mention(r.by),
                       *said(": ", r.why)) for r in d.replans]  # fmt: skip
    lines.append(line(f"History ({len(history)}):"))
    lines += [line(f"  {e.at.date().isoformat()} {e.kind.split('.')[-1]} by ", Mention(e.actor)) for e in history]
    return reply(*lines, data=dependency_json(d) | {"history": [event_json(e) for e in history]},
                 offers=_offers(call, d))  # fmt: skip
