"""`me` and `admin add|remove`."""

from __future__ import annotations

from collections.abc import Sequence

from core import access, commands, rules, slips
from core.checkins import answer_offers, pending
from core.context import Call
from core.errors import Conflict
from core.json_shapes import blocker_json, dependency_json, priority_read_json
from core.model import BlockerState, Dependency, DepState, Priority
from core.offers import blocker_offers, dependency_offers
from core.record_lines import blocker_line, dependency_line, priority_line
from core.reply import Item, Line, Mention, Quote, Reply, line, reply, said
from core.rhythm import RunKind
from core.rollup import rollups


def me(call: Call, _: commands.Me) -> Reply:
    mine = {t.handle for t in access.my_teams(call)}
    prios = [p for p in call.uow.priorities.list() if p.owner == call.actor and p.is_open]
    deps = [
        d
        for d in call.uow.dependencies.list()
        if d.is_open
        and (call.actor in (d.requester_owner, d.provider_owner) or d.from_team in mine or d.to_team in mine)
    ]
    asked = [d for d in deps
             if d.state is DepState.PROPOSED and (d.from_team in mine or d.requester_owner == call.actor)]  # fmt: skip
    deps = [d for d in deps if d not in asked]  # a proposal waiting on me is listed once, with its answers
    slipped = slips.mine(call.uow, call.actor)
    everything = call.uow.priorities.list()
    blockers = [b for b in call.uow.blockers.list() if b.raised_by == call.actor and b.state is BlockerState.OPEN]
    lines: list[Line] = [line("Your teams: ", ", ".join(sorted(mine)) or "none")]
    lines.append(line(f"Your priorities ({len(prios)}):"))
    rolled = rollups(everything) if prios else {}
    lines += [line("  ", *priority_line(p, rolled.get(p.number))) for p in prios]
    if asked:
        lines.append(line(f"Proposals waiting on you ({len(asked)}):"))
        lines += [line("  ", *_proposal_line(d)) for d in asked]
    if slipped:
        lines.append(line(f"Slips that touch your priorities ({len(slipped)}):"))
        lines += [line("  ", *_slip_line(d, change, call.actor, everything)) for d, change in slipped]
    lines.append(line(f"Your dependencies ({len(deps)}):"))
    lines += [line("  ", *dependency_line(d)) for d in deps]
    lines.append(line(f"Your open blockers ({len(blockers)}):"))
    lines += [line("  ", *blocker_line(b)) for b in blockers]
    waiting = pending(call.uow, call.actor, call.now)
    said = ", ".join(f"{r.team} {r.label} (`{'standup' if r.kind is RunKind.STANDUP else 'checkin'}`)" for r in waiting)
    lines.append(line(f"Pending check-ins: {said or 'none'}"))
    items = [Item("priorities", priority_line(p, rolled.get(p.number))) for p in prios]
    items += [Item("proposals", _proposal_line(d), dependency_offers(d, requester=True)) for d in asked]
    items += [Item("slips", _slip_line(d, change, call.actor, everything)) for d, change in slipped]
    for d in deps:
        provider = d.to_team in mine or call.actor == d.provider_owner
        requester = d.from_team in mine or call.actor == d.requester_owner
        items.append(Item("dependencies", dependency_line(d), dependency_offers(d, requester=requester,
                                                                                provider=provider)))  # fmt: skip
    items += [Item("blockers", blocker_line(b), blocker_offers(b)) for b in blockers]
    items += [Item("checkins", line(f"{r.team}: {r.label}"), answer_offers(r)) for r in waiting]
    data = {
        "handle": call.actor,
        "teams": sorted(mine),
        "priorities": [priority_read_json(p, rolled.get(p.number)) for p in prios],
        "dependencies": [dependency_json(d) for d in deps],
        "proposals": [dependency_json(d) for d in asked],
        "slips": [{"dependency": d.id, "change": change} for d, change in slipped],
        "blockers": [blocker_json(b) for b in blockers],
        "checkins": [{"team": r.team, "kind": r.kind.value, "period": r.period} for r in waiting],
    }
    answers = tuple(o for d in asked[:MAX_ANSWERS] for o in dependency_offers(d, requester=True))
    return Reply(lines=tuple(lines), data=data, items=tuple(items), offers=answers)


MAX_ANSWERS = 2
"""Proposals whose Agree / Reject buttons `me` carries itself (a Teams card, the console); App Home
lists every one with its own."""


def _proposal_line(d: Dependency) -> Line:
    return line(f"{d.id} {d.to_team} proposes {d.proposed} instead of {d.needed_by} for ", Quote(d.what),
                *said(": ", d.proposed_reason), f" (`dep agree {d.id}` or `dep reject {d.id} \"<why>\"`)")  # fmt: skip


def _slip_line(d: Dependency, change: str, me: str, priorities: Sequence[Priority]) -> Line:
    kind = change.partition(":")[0]
    moved = "re-planned to" if d.replans else "accepted for"
    what = {slips.BLOCKED: "is blocked", slips.DECLINED: "was declined", slips.OVERDUE: "is overdue",
            slips.REPLANNED: f"was {moved} {d.committed}"}.get(kind, kind)  # fmt: skip
    chain = " → ".join(f"{p.id}{' (yours)' if p.owner == me else ''}" for p in slips.chain(d, priorities))
    return line(f"{d.id} {what}: it endangers {chain}")


def me_tz(call: Call, cmd: commands.MeTz) -> Reply:
    p = access.person(call, call.actor)
    if cmd.tz is None:
        data = {"handle": p.handle, "tz": p.tz, "tz_pinned": p.tz_pinned}
        if p.tz is None:
            return reply(line("I don't know your time zone: set it with `me tz <Area/City>` (like Europe/Berlin). "
                              "Until then, a stand-up that asks each member in their own zone asks you in your "
                              "team's."), data=data)  # fmt: skip
        source = "you set it" if p.tz_pinned else "from your chat profile"
        return reply(line(f"Your time zone: {p.tz} ({source}; it is {_local(call, p.tz)} there)."), data=data)
    tz = rules.zone(cmd.tz)
    if tz == p.tz and p.tz_pinned:
        raise Conflict(f"Your time zone is already {tz}.")
    before, p.tz, p.tz_pinned = p.tz, tz, True
    call.uow.people.save(p)
    call.record("person.tz", p.handle, before=before, after=tz)
    return reply(line(f"Your time zone is now {tz} (it is {_local(call, tz)} there). It stays as you set it: your "
                      "chat profile no longer changes it."),
                 data={"handle": p.handle, "tz": tz, "tz_pinned": True})  # fmt: skip


def _local(call: Call, tz: str) -> str:
    return call.now.astimezone(rules.zone_info(tz)).strftime("%a %H:%M")


def admin_add(call: Call, cmd: commands.AdminAdd) -> Reply:
    access.require_admin(call, "make someone an admin")
    p = access.person(call, cmd.person)
    if p.admin:
        raise Conflict(f"{p.name} is already an admin.")
    p.admin = True
    call.uow.people.save(p)
    call.record("admin.added", p.handle)
    return reply(line(Mention(p.handle), " is now an admin."), public=True)


def admin_remove(call: Call, cmd: commands.AdminRemove) -> Reply:
    access.require_admin(call, "remove an admin")
    p = access.person(call, cmd.person)
    if not p.admin:
        raise Conflict(f"{p.name} is not an admin.")
    if sum(1 for x in call.uow.people.list() if x.admin) == 1:
        raise Conflict(f"{p.name} is the last admin; make someone else admin first.")
    p.admin = False
    call.uow.people.save(p)
    call.record("admin.removed", p.handle)
    return reply(line(Mention(p.handle), " is no longer an admin."), public=True)
