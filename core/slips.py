"""Slip alerts: when a dependency slips, the owner of every priority it endangers is told, once.

A slip is one change of a dependency: blocked, declined, re-planned past its needed-by date or past
the due date of the priority it serves, or overdue (the end of its committed date, needed-by when
none, has passed in the workspace's time zone). Its endangered chain is the priority it serves and
that priority's alignment ancestors up to org level; each of their owners gets one direct message.

How "once" holds across scheduler processes and restarts: a change writes one `pending` row per
person, keyed (dependency, change, person), and that key is unique in the database. Block, decline
and re-plan write theirs with the command; "overdue" is written by the first tick after the date
passes. The tick then settles every pending row under the workspace lock, in the same transaction
as the outbox message it queues: `sent`, or `dropped` when the change was undone first (the
dependency moved on: another revision, unblocked, delivered) or the person no longer owns a
priority in the chain. A person who is away keeps theirs pending until the first tick after they are
back. A change is named by the dependency's revision (`blocked:7`), so a second block after an
unblock is a new change, and the first one's stale rows are dropped.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from core.model import Dependency, DepState, Event, Priority, SlipAlert
from core.ports import UnitOfWork
from core.reply import Line, Notice, Quote, Segment, line, said
from core.rhythm import Away
from core.rules import zone_info

PENDING, SENT, DROPPED = "pending", "sent", "dropped"
ACTOR = "flotilla"
"""Who the audit trail says noticed an overdue dependency: the bot itself."""
BLOCKED, DECLINED, REPLANNED, OVERDUE = "blocked", "declined", "replanned", "overdue"


def chain(d: Dependency, priorities: Sequence[Priority]) -> list[Priority]:
    """The open priorities `d` endangers: the one it serves, then its ancestors up to org level."""
    by_number = {p.number: p for p in priorities}
    out: list[Priority] = []
    seen: set[int] = set()
    at = by_number.get(d.for_priority) if d.for_priority is not None else None
    while at is not None and at.number not in seen:
        seen.add(at.number)
        if at.is_open:
            out.append(at)
        at = by_number.get(at.parent) if at.parent is not None else None
    return out


def owners(found: Sequence[Priority]) -> list[str]:
    """Each owner of the chain once, in chain order."""
    return list(dict.fromkeys(p.owner for p in found if p.owner))


def on_time(d: Dependency) -> date:
    return d.committed or d.needed_by


def late(d: Dependency, priorities: Sequence[Priority]) -> bool:
    """Committed past its needed-by date, or past the due date of the priority it serves."""
    if d.committed is None:
        return False
    served = next((p for p in priorities if p.number == d.for_priority), None)
    due = served.due if served is not None else None
    return d.committed > d.needed_by or (due is not None and d.committed > due)


def change_key(kind: str, d: Dependency) -> str:
    return f"{kind}:{on_time(d).isoformat()}" if kind == OVERDUE else f"{kind}:{d.revision}"


def holds(change: str, d: Dependency, priorities: Sequence[Priority]) -> bool:
    """Whether the change an alert is about is still true now (else it was undone before the tick)."""
    kind, _, mark = change.partition(":")
    if kind == OVERDUE:  # undone: delivered, cancelled, blocked (its own alert) or its date moved. Not judged by
        # `today`: a scheduler whose clock runs behind the one that noticed the crossing must not drop it
        return d.is_open and d.state is not DepState.BLOCKED and on_time(d).isoformat() == mark
    if kind == REPLANNED:  # undone: moved back in time, or no longer accepted (a newer one supersedes it: settle)
        return d.state is DepState.ACCEPTED and late(d, priorities)
    if str(d.revision) != mark:
        return False
    if kind == BLOCKED:
        return d.state is DepState.BLOCKED
    if kind == DECLINED:
        return d.state is DepState.DECLINED
    return False


def queue(uow: UnitOfWork, d: Dependency, kind: str, now: datetime, *, besides: Collection[str] = ()) -> int:
    """Write the pending alerts of one change (block, decline, late re-plan): one per owner up the
    chain, except `besides` (who made the change, or was told of it already). Returns how many were new."""
    found = chain(d, uow.priorities.list())
    key = change_key(kind, d)
    return sum(uow.slips.add(SlipAlert(d.number, key, h, now)) for h in owners(found) if h not in besides)


def _overdue(uow: UnitOfWork, deps: Sequence[Dependency], priorities: Sequence[Priority], today: date,
             now: datetime) -> None:  # fmt: skip
    """Notice the crossings: every open dependency whose date has passed gets its alerts written
    (once: the key names the date, so a later re-plan that passes again is a new change)."""
    for d in deps:
        if d.is_open and d.state is not DepState.BLOCKED and on_time(d) < today:
            key = change_key(OVERDUE, d)
            new = [uow.slips.add(SlipAlert(d.number, key, h, now)) for h in owners(chain(d, priorities))]
            if any(new):  # the crossing, in the audit trail once (when there was someone to tell)
                uow.events.append(Event(at=now, actor=ACTOR, kind="dependency.overdue", subject=d.id,
                                        data={"due": on_time(d).isoformat()}))  # fmt: skip


def settle(uow: UnitOfWork, now: datetime, today: date) -> list[Notice]:
    """What the tick does (the caller holds the workspace lock and commits): write the overdue
    crossings, then send or drop every pending alert; people away keep theirs for later."""
    deps = {d.number: d for d in uow.dependencies.list()}
    priorities = list(uow.priorities.list())
    _overdue(uow, list(deps.values()), priorities, today, now)
    pending = list(uow.slips.list(state=PENDING))
    if not pending:
        return []
    aways = list(uow.rhythms.aways())
    zone = zone_info(uow.workspace.get().tz)
    notices: list[Notice] = []
    newest: dict[tuple[int, str, str], SlipAlert] = {}
    for a in pending:  # of one kind of change to one person, only the latest is worth a message
        key = (a.dependency, a.person, a.change.partition(":")[0])
        if key not in newest or _order(a) > _order(newest[key]):
            newest[key] = a
    for a in pending:
        d = deps.get(a.dependency)
        found = chain(d, priorities) if d is not None else []
        superseded = newest[(a.dependency, a.person, a.change.partition(":")[0])] is not a
        if d is None or superseded or not holds(a.change, d, priorities) or a.person not in owners(found):
            a.state, a.settled_at = DROPPED, now
            uow.slips.save(a)
            continue
        if _held(aways, a.person, today, a.created_at.astimezone(zone).date()):
            continue
        a.state, a.settled_at = SENT, now
        uow.slips.save(a)
        notices.append(Notice(lines=alert_lines(d, a.change, a.person, found), person=a.person,
                              key=f"slip:{d.id}:{a.change}:@{a.person}"))  # fmt: skip
    return notices


def _order(a: SlipAlert) -> tuple[datetime, int, str]:
    mark = a.change.partition(":")[2]
    return a.created_at, int(mark) if mark.isdigit() else 0, mark


def _held(aways: Sequence[Away], person: str, today: date, noticed: date) -> bool:
    """Away today, or away when the change was noticed and not back yet: a scheduler whose clock runs
    behind the one that noticed it must not send it before the person is back."""
    return any(w.person == person and (w.covers(today) or (w.covers(noticed) and today <= w.end)) for w in aways)


def _what(d: Dependency) -> list[Segment]:
    return [f"{d.id} ({d.from_team} → {d.to_team}) “", Quote(d.what), "”"]


def alert_lines(d: Dependency, change: str, person: str, found: Sequence[Priority]) -> tuple[Line, ...]:
    """`D-7 … is blocked: …`, the chain with the reader's own priorities marked, and what they can do."""
    kind = change.partition(":")[0]
    head: list[Segment] = ["Slip: ", *_what(d)]
    if kind == BLOCKED:
        head += [" is blocked", *said(": “", d.blocked_reason, "”"), "."]
    elif kind == DECLINED:
        head += [f" was declined by {d.to_team}", *said(": “", d.declined_reason, "”"), "."]
    elif kind == OVERDUE:
        head += [f" is overdue: it was due {on_time(d).isoformat()} and is not delivered."]
    else:
        last = d.replans[-1] if d.replans else None
        why = said(": “", last.why if last is not None else None, "”")
        served = found[0] if found and found[0].number == d.for_priority else None
        past = f"needed by {d.needed_by.isoformat()}"
        if served is not None and served.due is not None and d.committed and d.committed > served.due:
            past += f"; {served.id} is due {served.due.isoformat()}"
        moved = "was re-planned to" if d.replans else "was accepted for"
        head += [f" {moved} {d.committed.isoformat() if d.committed else '?'} ({past})", *why, "."]
    links = " → ".join(f"{p.id}{' (yours)' if p.owner == person else ''}" for p in found)
    mine = next((p for p in found if p.owner == person), None)
    first = line("It endangers ", links, ".")
    ask = [f"What you can do: ask {d.to_team} for a date (`dep show {d.id}`)"]
    if mine is not None:
        ask.append(f"re-plan {mine.id} (`priority update {mine.id} --due <date>`)")
    ask.append(f'or escalate (`blocker add "…" --on {d.id}`).')
    return (line(*head), first, line(", ".join(ask)))


def alerted(uow: UnitOfWork, d: Dependency) -> list[str]:
    """Everyone who was sent a slip alert about `d` (they hear when it is delivered or moving again)."""
    return list(dict.fromkeys(a.person for a in uow.slips.list(dependency=d.number, state=SENT)))


def mine(uow: UnitOfWork, person: str) -> list[tuple[Dependency, str]]:
    """Slips that touch my priorities and are still true (sent, or held while I was away): (dependency,
    change), newest first."""
    deps = {d.number: d for d in uow.dependencies.list()}
    priorities = list(uow.priorities.list())
    out: list[tuple[Dependency, str]] = []
    for a in uow.slips.list():
        d = deps.get(a.dependency)
        if a.person == person and a.state != DROPPED and d is not None and holds(a.change, d, priorities):
            out.append((d, a.change))
    return out[::-1]
