"""`priority add|update|align|done|drop|list|show`: priorities aligned up to the organisation's."""

from __future__ import annotations

from typing import Any

from core import access, commands
from core.context import Call, new_number
from core.errors import Conflict, InvalidInput
from core.handlers.checks import MAX_TITLE, future_date, text
from core.json_shapes import event_json, priority_json, priority_read_json
from core.model import CLOSED_STATUSES, Kind, Priority, Status
from core.record_lines import as_dict, change_segments, counted, priority_line
from core.reply import Line, Mention, Quote, Reply, Segment, line, reply
from core.rollup import of_children, rollups


def _check_alignment(call: Call, child: Priority, parent: Priority) -> None:
    """A team priority aligns to an org priority or to one of an ancestor team's; no cycles."""
    name = child.id if child.number else "The new priority"  # `priority add` checks before taking an id
    if parent.number == child.number:
        raise InvalidInput(f"{name} can't be aligned to itself.")
    if child.team is None:
        raise InvalidInput(f"{name} is org-level: org priorities are the top of the tree.")
    if parent.team is not None:
        team = access.team(call, child.team)
        if parent.team not in {a.handle for a in access.ancestors(call, team)}:
            raise InvalidInput(
                f"{name} ({child.team}) can only align to an org priority or one of a parent team's, "
                f"and {parent.id} belongs to {parent.team}."
            )
    if not parent.is_open:
        raise Conflict(f"{parent.id} is {parent.status.value}; align to an open priority.")


def add(call: Call, cmd: commands.PriorityAdd) -> Reply:
    title = text(cmd.title, "title", MAX_TITLE)
    team = None
    if cmd.team is not None or (not cmd.org and access.my_teams(call)):
        team = access.team_or_mine(call, cmd.team, what="the priority belongs to", active=True)
    if team is None:
        access.require_admin(call, "add an org-level priority")
    else:
        access.require_lead_or_admin(call, team, f"add priorities to {team.handle}")
    if cmd.owner is not None:
        access.person(call, cmd.owner)
    due = future_date(call, cmd.due, "due date") if cmd.due else None
    rank = 1 + sum(1 for p in call.uow.priorities.list() if p.team == (team.handle if team else None) and p.is_open)
    p = Priority(
        number=0, title=title, team=team.handle if team else None, created_at=call.now, updated_at=call.now,
        outcome=text(cmd.outcome, "outcome") if cmd.outcome is not None else None,
        owner=cmd.owner, rank=rank, due=due,
    )  # fmt: skip
    if cmd.parent is not None:
        _check_alignment(call, p, access.priority(call, cmd.parent))
        p.parent = cmd.parent
    p.number = new_number(call.uow, Kind.PRIORITY)
    call.uow.priorities.save(p)
    call.record("priority.created", p.id, **{k: v for k, v in priority_json(p).items() if k != "id"})
    where = f"for {p.team}" if p.team else "at org level"
    owner = [" owned by ", Mention(p.owner)] if p.owner else [" with no owner yet (name one with --owner)"]
    return reply(line(f"{p.id} ", Quote(p.title), f" added {where}", *owner, "."), data=priority_json(p), public=True)


def _changes(call: Call, p: Priority, cmd: commands.PriorityUpdate) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if cmd.status is not None and cmd.status != p.status:
        changes["status"] = cmd.status
    if cmd.confidence is not None and cmd.confidence != p.confidence:
        changes["confidence"] = cmd.confidence
    if cmd.progress is not None and cmd.progress != p.progress:
        changes["progress"] = cmd.progress
    if changes.get("status") is Status.DONE:  # done means fully done; the history says so too
        changes.pop("progress", None)
        if p.progress != 100:
            changes["progress"] = 100
    if cmd.owner is not None and cmd.owner != p.owner:
        access.person(call, cmd.owner)
        changes["owner"] = cmd.owner
    if cmd.due is not None:
        due = future_date(call, cmd.due, "due date")
        if due != p.due:
            changes["due"] = due
    return changes


def update(call: Call, cmd: commands.PriorityUpdate) -> Reply:
    p = access.priority(call, cmd.number)
    access.require_priority_editor(call, p, f"update {p.id}")
    for bound in ("confidence", "progress"):
        value = getattr(cmd, bound)
        if value is not None and not 0 <= value <= 100:
            raise InvalidInput(f"{bound} must be between 0 and 100 (got {value}).", field=bound)
    if not p.is_open and (cmd.status is None or cmd.status in CLOSED_STATUSES):
        raise Conflict(f"{p.id} is {p.status.value}; reopen it with --status on-track first.")
    if cmd.status is Status.DROPPED:
        raise InvalidInput(f'Dropping needs a reason: `priority drop {p.id} "<why>"`.')
    if cmd.status is Status.DONE and cmd.progress is not None and cmd.progress != 100:
        raise InvalidInput(f"Done means 100% progress, not {cmd.progress}%: leave --progress out.", field="progress")
    if (
        p.status is Status.DONE
        and cmd.status is not None
        and cmd.status not in CLOSED_STATUSES
        and cmd.progress is None
    ):
        raise InvalidInput(f"{p.id} was done at 100%: to reopen it, say how far along it is, like "
                           f"`priority update {p.id} --status {cmd.status.value} --progress 80`.",
                           field="progress")  # fmt: skip
    changes = _changes(call, p, cmd)
    note = text(cmd.note, "note", field="note") if cmd.note is not None else None
    if not changes and note is None:
        raise Conflict(f"Nothing changed: {p.id} already has those values.")
    before = {k: priority_json(p)[k] for k in changes}
    for key, value in changes.items():
        setattr(p, key, value)
    if p.is_open:
        p.closed_reason = None
    p.updated_at = call.now
    call.uow.priorities.save(p)
    after = {k: priority_json(p)[k] for k in changes}
    call.record("priority.updated", p.id, before=before, after=after, note=note)
    said = change_segments(before, after) if changes else ["note added"]
    lines: list[Line] = [line(f"{p.id} ", Quote(p.title), " updated: ", *said, ".")]
    if note:
        lines.append(line("Note: ", Quote(note)))
    return reply(*lines, data=priority_json(p), public=True)


def align(call: Call, cmd: commands.PriorityAlign) -> Reply:
    p = access.priority(call, cmd.number)
    access.require_priority_editor(call, p, f"align {p.id}")
    parent = access.priority(call, cmd.to)
    _check_alignment(call, p, parent)
    if p.parent == parent.number:
        raise Conflict(f"{p.id} is already aligned to {parent.id}.")
    before = p.parent
    p.parent, p.updated_at = parent.number, call.now
    call.uow.priorities.save(p)
    call.record("priority.aligned", p.id, before=f"P-{before}" if before else None, after=parent.id)
    return reply(line(f"{p.id} ", Quote(p.title), f" now serves {parent.id} ", Quote(parent.title), "."),
                 data=priority_json(p), public=True)  # fmt: skip


def _close(call: Call, number: int, status: Status, why: str | None) -> Priority:
    p = access.priority(call, number)
    access.require_priority_editor(call, p, f"close {p.id}")
    if not p.is_open:
        raise Conflict(f"{p.id} is already {p.status.value}.")
    before = p.status
    p.status, p.closed_reason, p.updated_at = status, why, call.now
    if status is Status.DONE:
        p.progress = 100
    call.uow.priorities.save(p)
    call.record("priority.updated", p.id, before={"status": before.value}, after={"status": status.value}, note=why)
    return p


def done(call: Call, cmd: commands.PriorityDone) -> Reply:
    p = _close(call, cmd.number, Status.DONE, None)
    return reply(line(f"{p.id} ", Quote(p.title), " is done. 🎉"), data=priority_json(p), public=True)


def drop(call: Call, cmd: commands.PriorityDrop) -> Reply:
    p = _close(call, cmd.number, Status.DROPPED, text(cmd.why, "reason"))
    return reply(line(f"{p.id} ", Quote(p.title), " dropped: ", Quote(cmd.why.strip()), "."),
                 data=priority_json(p), public=True)  # fmt: skip


def list_(call: Call, cmd: commands.PriorityList) -> Reply:
    org = cmd.team == "org"
    team = None if org else access.optional_team_or_mine(call, cmd.team)
    every = call.uow.priorities.list()
    rolled = rollups(every)
    prios = [p for p in every if cmd.all or p.is_open]
    if team is not None or org:
        prios = [p for p in prios if p.team == (team.handle if team else None)]
    prios.sort(key=lambda p: (p.team is not None, p.team or "", p.rank, p.number))
    scope = team.handle if team else ("the organisation (org-level)" if org else "the whole organisation")
    closed = "" if cmd.all else "open "
    lines: list[Line] = [counted(len(prios), f"{closed}priority", f"{closed}priorities", scope)]
    lines += [line("  ", *priority_line(p, rolled.get(p.number))) for p in prios]
    return reply(*lines, data=[priority_read_json(p, rolled.get(p.number)) for p in prios])


def show(call: Call, cmd: commands.PriorityShow) -> Reply:
    p = access.priority(call, cmd.number)
    children = [c for c in call.uow.priorities.list() if c.parent == p.number]
    rollup = of_children(children)
    deps = [d for d in call.uow.dependencies.list() if d.for_priority == p.number]
    history = [e for e in call.uow.events.list() if e.subject == p.id]
    lines: list[Line] = [line(*priority_line(p, rollup))]
    if p.outcome:
        lines.append(line("Outcome: ", Quote(p.outcome)))
    if p.closed_reason:
        lines.append(line("Why closed: ", Quote(p.closed_reason)))
    if children:
        lines.append(line("Supported by: ", ", ".join(f"{c.id} ({c.status.value})" for c in children)))
    if deps:
        lines.append(line("Dependencies: ", ", ".join(f"{d.id} ({d.state.value})" for d in deps)))
    lines.append(line(f"History ({len(history)}):"))
    for e in history[-10:]:
        note = e.data.get("note")
        after = as_dict(e.data.get("after"))
        detail = [": ", *change_segments(as_dict(e.data.get("before")), after)] if after else []
        said: list[Segment] = [" — ", Quote(str(note))] if note else []
        lines.append(line(f"  {e.at.date().isoformat()} {e.kind.split('.')[-1]} by ", Mention(e.actor),
                          *detail, *said))  # fmt: skip
    if not p.owner:
        lines.append(line(f"No owner: name one with `priority update {p.id} --owner @name`."))
    data = priority_read_json(p, rollup) | {
        "children": [c.id for c in children],
        "dependencies": [d.id for d in deps],
        "history": [event_json(e) for e in history],
    }
    return reply(*lines, data=data)
