"""The escalation ladder: what stays blocked climbs, once per rung.

A blocker or a blocked dependency open for `escalation_days` goes to the leads of the team that
can lift it (level 1); at twice that, to the leads of that team's parent team, or to the admins
when it has none (level 2). Each rung is sent once: the keys already sent come from the
`escalation.sent` events, and every new rung records one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.acks import quiets
from core.graph import Graph, blocked_since, days_since
from core.model import Blocker, DepState, Event
from core.ports import UnitOfWork
from core.reply import Line, Mention, Notice, Quote, Segment, line
from core.risk_engine import assess
from core.risks import RiskKind, Thresholds
from core.snapshot import EVENTS_DAYS, Snapshot, take_snapshot

SENT = "escalation.sent"
ACTOR = "flotilla"
"""Who the audit trail says did it: the bot itself."""


@dataclass(frozen=True)
class Rung:
    subject: str
    level: int
    team: str
    """The team whose leads are told (for level 2: the parent team, or "" for the admins)."""
    people: tuple[str, ...]
    days: int

    @property
    def key(self) -> str:
        return key(self.subject, self.level)


def key(subject: str, level: int) -> str:
    return f"escalate:{subject}:{level}"


def sent_keys(events: Iterable[Event]) -> frozenset[str]:
    """The rungs already climbed, from the audit trail."""
    return frozenset(str(e.data.get("key")) for e in events if e.kind == SENT and e.data.get("key"))


def _rungs(g: Graph, subject: str, provider: str | None, days: int, th: Thresholds) -> list[Rung]:
    if provider is None or th.escalation_days <= 0 or days < th.escalation_days:
        return []
    out = [Rung(subject, 1, provider, g.leads(provider), days)]
    if days >= 2 * th.escalation_days:
        parent = g.teams[provider].parent if provider in g.teams else None
        people = g.leads(parent) if parent else tuple(g.admins)
        out.append(Rung(subject, 2, parent or "", people, days))
    return [r for r in out if r.people]


def _lines(rung: Rung, what: list[Segment], limit: int) -> tuple[Line, ...]:
    if rung.level == 1:
        ask = f"As a lead of {rung.team}, please get it moving or say who will."
    elif rung.team:
        ask = f"That is past twice the {limit}-day limit: as a lead of {rung.team}, please step in."
    else:
        ask = f"That is past twice the {limit}-day limit and its team has no parent: as an admin, please step in."
    return (line(f"Escalation (level {rung.level}): ", *what), line(ask))


LADDER_KINDS = {"B": RiskKind.STALE_BLOCKER, "D": RiskKind.BLOCKED_DEPENDENCY}
"""The risk each rung is about: a blocker open too long, a dependency blocked too long."""


def escalations(
    snapshot: Snapshot,
    now: datetime,
    thresholds: Thresholds,
    already: frozenset[str],
    quiet: frozenset[tuple[str, RiskKind]] = frozenset(),
) -> tuple[list[Notice], list[Event]]:
    """The rungs newly due: one DM per person told, and one `escalation.sent` event per rung. A rung whose
    risk is acknowledged (and the acknowledgement holds: `quiet`) waits, unsent and unrecorded, until it
    lapses: then it goes out like any rung due."""
    g = Graph(snapshot)
    notices: list[Notice] = []
    events: list[Event] = []
    found: list[tuple[Rung, list[Segment]]] = []
    for b in sorted(g.open_blockers(), key=lambda x: x.number):
        days = days_since(now, b.raised_at)
        for rung in _rungs(g, b.id, g.blocker_provider(b), days, thresholds):
            found.append((rung, _blocker_text(b, days)))
    blocked_at = blocked_since(snapshot.events)
    for d in sorted(snapshot.dependencies, key=lambda x: x.number):
        if d.state is not DepState.BLOCKED:
            continue
        days = days_since(now, blocked_at.get(d.id, d.updated_at))
        what: list[Segment] = [f"{d.id} ({d.from_team} → {d.to_team}) “", Quote(d.what), "”",
                               f" has been blocked for {days} days"]  # fmt: skip
        if d.blocked_reason:
            what += [": “", Quote(d.blocked_reason), "”"]
        for rung in _rungs(g, d.id, d.to_team, days, thresholds):
            found.append((rung, [*what, "."]))
    for rung, what in found:
        if rung.key in already or (rung.subject, LADDER_KINDS[rung.subject[0]]) in quiet:
            continue
        lines = _lines(rung, what, thresholds.escalation_days)
        notices += [Notice(lines=lines, person=h, key=f"{rung.key}:@{h}") for h in rung.people]
        events.append(Event(at=now, actor=ACTOR, kind=SENT, subject=rung.subject,
                            data={"key": rung.key, "level": rung.level, "team": rung.team or None,
                                  "to": list(rung.people), "days": rung.days}))  # fmt: skip
    return notices, events


def acknowledged(
    uow: UnitOfWork, snapshot: Snapshot, now: datetime, thresholds: Thresholds
) -> frozenset[tuple[str, RiskKind]]:
    """The risks whose acknowledgement holds now, judged as `risks` judges them (same event window, same
    scores). The engine runs only when something is acknowledged."""
    acks = list(uow.acks.list())
    if not acks:
        return frozenset()
    since = now - timedelta(days=EVENTS_DAYS)
    window = replace(snapshot, events=tuple(e for e in snapshot.events if e.at >= since))
    today = now.astimezone(ZoneInfo(snapshot.workspace.tz)).date()
    return quiets(assess(window, now, thresholds), acks, today)


def _blocker_text(b: Blocker, days: int) -> list[Segment]:
    where = f" on {b.on}" if b.on else (f" in {b.team}" if b.team else "")
    return [
        f"{b.id}{where} “",
        Quote(b.text),
        f"” has been open for {days} days (raised by ",
        Mention(b.raised_by),
        ").",
    ]


def escalate(uow: UnitOfWork, now: datetime) -> list[Notice]:
    """Climb every rung that is due, recording each; the caller commits and delivers the notices."""
    snapshot = take_snapshot(uow, now=now)
    thresholds = Thresholds.from_settings(uow.settings.get("risk"))
    notices, events = escalations(snapshot, now, thresholds, sent_keys(snapshot.events),
                                  acknowledged(uow, snapshot, now, thresholds))  # fmt: skip
    for e in events:
        uow.events.append(e)
    return notices
