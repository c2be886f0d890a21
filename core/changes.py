"""The audit trail told in plain words, once per change.

One command can leave several events (a weekly check-in answer updates the priority and counts the
answer; a stand-up answer can raise a blocker; `team add` adds each person; the escalation ladder
can climb two rungs in one tick). `changes` folds the events one change left into one entry, and
`describe` says what happened the way a person would: "@bob updated P-2 in payments' weekly
check-in: confidence 80 → 50", not "checkin.answered payments". Text people typed stays a Quote,
so renderers neutralise it. Event kinds this module does not know (a newer release's) are still
told, from their name.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.model import Event
from core.record_lines import change_segments
from core.reply import Mention, Quote, Segment

BOT = "flotilla"
"""The actor of what the bot does by itself (escalations)."""


@dataclass(frozen=True)
class Change:
    """One change someone made: the events it left, the first of them leading."""

    events: tuple[Event, ...]

    @property
    def first(self) -> Event:
        return self.events[0]

    @property
    def at(self) -> datetime:
        return self.first.at

    @property
    def actor(self) -> str:
        return self.first.actor

    @property
    def subjects(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.subject for e in self.events))

    def of(self, kind: str) -> Event | None:
        return next((e for e in self.events if e.kind == kind), None)


def _same_moment(a: Event, b: Event) -> bool:
    return a.at == b.at and a.actor == b.actor


def _belongs(group: list[Event], e: Event) -> bool:
    """Whether `e` is part of the change `group` holds so far (same moment, same person, one command)."""
    head = group[0]
    if not _same_moment(head, e):
        return False
    if e.kind == "escalation.sent":
        return all(x.kind == e.kind and x.subject == e.subject for x in group)
    if e.kind == "team.member_added":
        return all(x.kind == e.kind and x.subject == e.subject and x.data.get("lead") == e.data.get("lead")
                   for x in group)  # fmt: skip
    if e.kind == "checkin.answered":
        pid = e.data.get("priority")
        if pid is not None:  # a weekly answer follows the priority update (or confirmation) it counts
            return any(x.subject == pid and x.kind in _WEEKLY_PARTS for x in group)
        # a stand-up answer follows the blocker its blocker question raised, reworded or resolved
        return e.data.get("kind") == "standup" and all(_standup_blocker(x) for x in group)
    return False


def _standup_blocker(e: Event) -> bool:
    return e.kind == "blocker.edited" or (
        e.kind in ("blocker.raised", "blocker.resolved") and e.data.get("via") == "standup"
    )


_WEEKLY_PARTS = frozenset({"priority.updated", "priority.confirmed"})


def changes(events: Sequence[Event]) -> list[Change]:
    """Events (in the order they happened) folded into changes, in the same order."""
    out: list[list[Event]] = []
    for e in events:
        if out and _belongs(out[-1], e):
            out[-1].append(e)
        else:
            out.append([e])
    return [Change(tuple(group)) for group in out]


# --- plain words ----------------------------------------------------------------------------------


def _text(value: Any) -> list[Segment]:
    return ["“", Quote(str(value)), "”"] if value not in (None, "") else []


def _said(prefix: str, value: Any) -> list[Segment]:
    return [prefix, *_text(value)] if value not in (None, "") else []


def _possessive(team: str) -> str:
    return f"{team}'" if team.endswith("s") else f"{team}'s"


def _people(handles: Sequence[str]) -> list[Segment]:
    out: list[Segment] = []
    for i, h in enumerate(handles):
        if i:
            out.append(" and " if i == len(handles) - 1 else ", ")
        out.append(Mention(h))
    return out


def _priority_updated(e: Event, where: str = "") -> list[Segment]:
    before, after = e.data.get("before") or {}, e.data.get("after") or {}
    note = _said(" — ", e.data.get("note"))
    if set(after) == {"status"} and after["status"] == "done":
        return [f" marked {e.subject} done{where}", *note]
    if set(after) == {"status"} and after["status"] == "dropped":
        return [f" dropped {e.subject}", *_said(": ", e.data.get("note"))]
    if not after:
        return [f" added a note to {e.subject}{where}", *note]
    return [f" updated {e.subject}{where}: ", *change_segments(before, after), *note]


def _confirmed(e: Event, where: str = "") -> list[Segment]:
    d = e.data
    state = [str(d.get("status") or "unchanged")]
    if d.get("confidence") is not None:
        state.append(f"confidence {d['confidence']}")
    if d.get("progress") is not None:
        state.append(f"{d['progress']}% done")
    return [f" confirmed {e.subject} unchanged{where} ({', '.join(state)})"]


def _weekly(c: Change) -> list[Segment]:
    answer = c.of("checkin.answered")
    where = f" in {_possessive(answer.subject)} weekly check-in" if answer is not None else ""
    update, confirm = c.of("priority.updated"), c.of("priority.confirmed")
    if update is not None:
        return _priority_updated(update, where)
    assert confirm is not None
    return _confirmed(confirm, where)


def _standup(c: Change, e: Event) -> list[Segment]:
    d = e.data
    verb = "changed their answer to" if d.get("edit") else "answered late to" if d.get("late") else "answered"
    out: list[Segment] = [f" {verb} {_possessive(e.subject)} stand-up of {d.get('period', '?')}"]
    for b in c.events:
        if b.kind == "blocker.raised":
            out += [f", raising {b.subject} ", *_text(b.data.get("text"))]
        elif b.kind == "blocker.resolved":
            out.append(f", which resolved {b.subject}")
        elif b.kind == "blocker.edited":
            out += [f", rewording {b.subject} to ", *_text(b.data.get("text"))]
    return out


def _escalation(c: Change) -> list[Segment]:
    rungs = sorted(c.events, key=lambda e: int(e.data.get("level") or 0))
    days = rungs[-1].data.get("days")
    open_for = f" (stuck for {days} days)" if days is not None else ""
    told = []
    for r in rungs:
        team = r.data.get("team")
        told.append(f"the leads of {team}" if team else "the admins")
    return [f" escalated {c.first.subject}{open_for} to {' and then '.join(told)}"]


def _rhythm_set(e: Event) -> list[Segment]:
    d = e.data
    kind = d.get("schedule")
    tz = d.get("tz") or ""
    if kind == "standup":
        days = d.get("days")
        when = ",".join(days) if isinstance(days, list) else str(days or "")
        return [f" set {_possessive(e.subject)} stand-up: {when} at {d.get('at', '?')} {tz}".rstrip()]
    if kind == "weekly":
        return [f" set {_possessive(e.subject)} weekly check-in: every {d.get('day', '?')} at {d.get('at', '?')} {tz}"
                .rstrip()]  # fmt: skip
    return [f" set the rhythm of {e.subject}"]


def _member_added(c: Change) -> list[Segment]:
    e = c.first
    people = [str(x.data.get("person")) for x in c.events]
    role = (" as leads" if len(people) > 1 else " as lead") if e.data.get("lead") else ""
    return [" added ", *_people(people), f" to {e.subject}{role}"]


def _thresholds(e: Event) -> list[Segment]:
    before, after = e.data.get("before") or {}, e.data.get("after") or {}
    said = ", ".join(f"{k} {before.get(k, '?')} → {v}" for k, v in after.items())
    return [f" changed the risk thresholds: {said}"]


def _away(e: Event) -> list[Segment]:
    d = e.data
    who: list[Segment] = [" is"] if e.actor == e.subject else [" marked ", Mention(e.subject), " as"]
    return [*who, f" away from {d.get('start', '?')} to {d.get('end', '?')}"]


def _requested(e: Event) -> list[Segment]:
    d = e.data
    serves = f", for {d['for']}" if d.get("for") else ""
    return [f" asked {d.get('to_team', '?')} for ", *_text(d.get("what")),
            f" by {d.get('needed_by', '?')} ({e.subject}, from {d.get('from_team', '?')}{serves})"]  # fmt: skip


def _accepted(e: Event) -> list[Segment]:
    d = e.data
    owner: list[Segment] = [", owner ", Mention(str(d["provider_owner"]))] if d.get("provider_owner") else []
    committed = f", committed to {d['committed']}" if d.get("committed") else ""
    return [f" accepted {e.subject}{committed}", *owner]


def _created(e: Event) -> list[Segment]:
    d = e.data
    where = f" for {d['team']}" if d.get("team") else " at org level"
    aligned = f", aligned to {d['parent']}" if d.get("parent") else ""
    return [f" added {e.subject} ", *_text(d.get("title")), f"{where}{aligned}"]


def _raised(e: Event) -> list[Segment]:
    on = e.data.get("on")
    return [f" raised {e.subject}" + (f" on {on}" if on else ""), ": ", *_text(e.data.get("text"))]


def _kind_of(e: Event) -> str:
    kind = e.data.get("risk_kind")
    return f"'s {str(kind).replace('_', ' ')} risk" if kind else ""


def _acknowledged(e: Event) -> list[Segment]:
    what = f"{e.subject}{_kind_of(e)}" if e.data.get("risk_kind") else f"the risks on {e.subject}"
    return [f" acknowledged {what} until {e.data.get('until', '?')}", *_said(": ", e.data.get("note"))]


def _briefing(e: Event) -> list[Segment]:
    d = e.data
    tz = d.get("tz")
    zone = " in each lead's own time zone" if tz == "member" else f" {tz}" if tz else ""
    whose = "the organisation's" if e.subject == "org" else _possessive(e.subject)
    return [f" set {whose} weekly leader briefing: every {d.get('day', '?')} at {d.get('at', '?')}{zone}"]


def _admin_added(e: Event) -> list[Segment]:
    if e.data.get("reason"):
        return [f" became an admin ({e.data['reason']})"]
    if e.subject == e.actor:
        return [" became an admin"]
    return [" made ", Mention(e.subject), " an admin"]


_ONE: dict[str, Callable[[Event], list[Segment]]] = {
    "admin.added": _admin_added,
    "admin.removed": lambda e: [" took admin rights from ", Mention(e.subject)],
    "team.created": lambda e: [f" created team {e.subject}"
                               + (f" under {e.data['parent']}" if e.data.get("parent") else "")],
    "team.member_removed": lambda e: [" removed ", Mention(str(e.data.get("person"))), f" from {e.subject}"],
    "team.member_demoted": lambda e: [" made ", Mention(str(e.data.get("person"))),
                                      f" a member of {e.subject}, no longer a lead"],
    "team.renamed": lambda e: [f" renamed team {e.subject} to ", *_text(e.data.get("after")),
                               *(_said(" (was ", e.data.get("before")) + [")"] if e.data.get("before") else [])],
    "team.moved": lambda e: [f" moved team {e.subject} "
                             + (f"under {e.data['after']}" if e.data.get("after") else "to the top")
                             + (f" (it was under {e.data['before']})" if e.data.get("before") else "")],
    "team.archived": lambda e: [f" archived team {e.subject}"],
    "team.unarchived": lambda e: [f" unarchived team {e.subject}"],
    "priority.created": _created,
    "priority.updated": _priority_updated,
    "priority.confirmed": _confirmed,
    "priority.aligned": lambda e: [f" aligned {e.subject} to {e.data.get('after')}"
                                   + (f" (was {e.data['before']})" if e.data.get("before") else "")],
    "dependency.requested": _requested,
    "dependency.accepted": _accepted,
    "dependency.declined": lambda e: [f" declined {e.subject}", *_said(": ", e.data.get("reason"))],
    "dependency.blocked": lambda e: [f" marked {e.subject} blocked", *_said(": ", e.data.get("reason"))],
    "dependency.unblocked": lambda e: [f" marked {e.subject} moving again (unblocked)"],
    "dependency.delivered": lambda e: [f" marked {e.subject} delivered"],
    "dependency.cancelled": lambda e: [f" cancelled {e.subject}"],
    "dependency.proposed": lambda e: [f" proposed {e.data.get('proposed', '?')} for {e.subject}",
                                      *_said(": ", e.data.get("reason"))],
    "dependency.agreed": lambda e: [f" agreed to {e.data.get('committed', '?')} for {e.subject}: accepted"],
    "dependency.rejected": lambda e: [f" rejected {e.data.get('proposed', '?')} for {e.subject}",
                                      *_said(": ", e.data.get("reason"))],
    "dependency.replanned": lambda e: [f" re-planned {e.subject}: committed {e.data.get('from', '?')} → "
                                       f"{e.data.get('to', '?')}", *_said(": ", e.data.get("reason"))],
    "dependency.owner": lambda e: [" named ", Mention(str(e.data.get("after"))),
                                   f" owner of {e.subject} for {e.data.get('team', '?')}"],
    "dependency.overdue": lambda e: [f" saw {e.subject} become overdue (due {e.data.get('due', '?')})"],
    "blocker.raised": _raised,
    "blocker.resolved": lambda e: [f" resolved {e.subject}"
                                   + (f" after {e.data['age_days']} days" if e.data.get("age_days") else "")],
    "blocker.edited": lambda e: [f" reworded {e.subject}: ", *_text(e.data.get("text"))],
    "rhythm.set": _rhythm_set,
    "rhythm.paused": lambda e: [f" paused {_possessive(e.subject)} stand-ups and check-ins"],
    "rhythm.resumed": lambda e: [f" resumed {_possessive(e.subject)} stand-ups and check-ins"],
    "rhythm.skipped": lambda e: [f" set {e.subject} to skip {e.data.get('date', '?')}"],
    "person.away": _away,
    "person.back": lambda e: [" is back"],
    "person.away_cancelled": lambda e: [f" cancelled their time away from {e.data.get('start', '?')} to "
                                        f"{e.data.get('end', '?')}"],
    "person.tz": lambda e: [f" set their time zone to {e.data.get('after') or 'none'}"],
    "settings.risk": _thresholds,
    "risk.acknowledged": _acknowledged,
    "risk.unacknowledged": lambda e: [f" ended the acknowledgement of {e.subject}{_kind_of(e)}"],
    "briefing.set": _briefing,
}  # fmt: skip


def _fallback(e: Event) -> list[Segment]:
    noun, _, verb = e.kind.partition(".")
    said = e.data.get("title") or e.data.get("text") or e.data.get("what") or e.data.get("reason") or e.data.get("note")
    what = f" {verb.replace('_', ' ')} {e.subject}" if verb else f" {noun.replace('_', ' ')} {e.subject}"
    return [what, *_said(": ", said)]


def describe(c: Change) -> list[Segment]:
    """What the actor did, after their name: `[" updated P-2: ", "status ", ...]`. Data no command
    writes (an import keeps any JSON in an event's data) is told from the event's name, like a kind
    this release does not know: the history never fails on it."""
    try:
        words = _describe(c)
    except (TypeError, ValueError, KeyError, AttributeError, IndexError):
        words = _fallback(c.first)
    return [w for w in words if w != ""]


def _describe(c: Change) -> list[Segment]:
    e = c.first
    if e.kind == "escalation.sent":
        return _escalation(c)
    if e.kind == "team.member_added":
        return _member_added(c)
    answer = c.of("checkin.answered")
    if answer is not None and answer.data.get("kind") == "standup":
        return _standup(c, answer)
    if answer is not None and e.kind in _WEEKLY_PARTS:
        return _weekly(c)
    if answer is not None:
        return [f" checked in {answer.data.get('priority') or 'a priority'} in {_possessive(answer.subject)} weekly "
                "check-in"]  # fmt: skip
    return _ONE.get(e.kind, _fallback)(e)
