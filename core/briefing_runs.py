"""Sending the weekly leader briefings that fall due: each person's briefing of a scope and week exactly
once, across processes, through the outbox.

For each scope with someone due, three steps, none holding a lock while talking to anyone:
1. read (no workspace lock): who is due and not yet claimed; the briefing's text as of its instant;
2. outside any transaction: the language model's opening paragraph, when one is configured;
3. one transaction per scope: claim each (scope, person, ISO week) with a unique row and queue that
   person's direct message in the same transaction. A process that loses a claim sends nothing; a
   crash before the commit leaves neither claim nor message, so the next tick sends it.
A briefing found more than GRACE after its time (the scheduler was down) is claimed as skipped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from core.acks import judge, loud, reviews
from core.briefing import GRACE, ORG, Due, due, may_fall_due
from core.briefing_report import Report, as_lines, build
from core.narrative import Claim, NarrativeUnavailable, check
from core.outbox import from_notice
from core.ports import Summarizer, UnitOfWork, UnitOfWorkFactory
from core.reply import Line, Notice, Quote, line
from core.risk_engine import assess
from core.risks import Thresholds
from core.snapshot import participation, risk_snapshot
from core.summary import known_ids, unavailable_note

log = logging.getLogger(__name__)


def team_zone(uow: UnitOfWork, scope: str) -> str:
    """A scope's own zone: the team's (its rhythm's), or the workspace's for the org."""
    if scope != ORG:
        r = uow.rhythms.get(scope)
        if r is not None:
            return r.tz
    return uow.workspace.get().tz


def report_at(uow: UnitOfWork, now: datetime, team: str | None) -> Report:
    """The briefing of `team` (None: the organisation) as of `now`, from the store as it is."""
    snapshot = risk_snapshot(uow, now)
    tz = ZoneInfo(snapshot.workspace.tz)
    today = now.astimezone(tz).date()
    found = assess(snapshot, now, Thresholds.from_settings(uow.settings.get("risk")))
    acks = list(uow.acks.list())
    attention = loud(judge(found, acks, today))
    week = participation(uow, now, days=7)
    return build(snapshot, attention, reviews(found, acks, today), week, now, today, tz, team)


MAX_OPENING = 2
"""Paragraphs of the model's opening kept (it is asked for one)."""


@dataclass(frozen=True)
class Told:
    lines: tuple[Line, ...]
    note: str | None = None
    """Why the model's opening was not used (None when it was, or when no model is configured)."""
    claims: tuple[Claim, ...] = ()


def narrated(report: Report, summarizer: Summarizer | None) -> Told:
    """The briefing's lines with the model's opening paragraph when it passes the grounding checks (every
    id it cites or writes is in the extract); else the deterministic opening, and the reason why."""
    if summarizer is None:
        return Told(as_lines(report))
    try:
        extract = report.extract()
        narrative = check(summarizer.narrate(extract, purpose="briefing"), known_ids(extract))
    except NarrativeUnavailable as e:
        standard = as_lines(report)
        return Told((standard[0], unavailable_note(e.reason), *standard[1:]), e.reason)
    claims = narrative.claims[:MAX_OPENING]
    opening = [line(Quote(c.text), f" [{', '.join(c.cites)}]") for c in claims]
    return Told(as_lines(report, opening), None, claims)


def send_due(
    uow_factory: UnitOfWorkFactory,
    workspace: str,
    t0: datetime,
    t1: datetime,
    *,
    now: datetime | None = None,
    late_after: timedelta | None = None,
    summarizer: Summarizer | None = None,
) -> tuple[int, int]:
    """Queue every briefing due in (t0, t1]; returns (messages queued, briefings skipped as too old).
    With `late_after` (the scheduler), one due before `now - max(late_after, GRACE)` is skipped."""
    with uow_factory(workspace) as uow:
        schedules = [s for s in uow.briefings.list() if may_fall_due(s, t0, t1) and not _paused(uow, s.scope)]
        if not schedules:  # most ticks: nothing near its time, and the people are not read
            return 0, 0
        teams, people = list(uow.teams.list()), list(uow.people.list())
        zones = {s.scope: team_zone(uow, s.scope) for s in schedules}
        found = due(schedules, teams, people, zones, t0, t1)
        taken = {(scope, person, period) for scope, person, period, _ in uow.briefings.claimed()} if found else set()
    found = [d for d in found if (d.scope, d.person, d.period) not in taken]
    queued = skipped = 0
    oldest = None if late_after is None or now is None else now - max(late_after, GRACE)
    for d in found:
        if oldest is not None and d.at < oldest:
            skipped += _skip(uow_factory, workspace, d, now or d.at)
    found = [d for d in found if oldest is None or d.at >= oldest]
    by_instant: dict[tuple[str, datetime], list[Due]] = {}
    for d in found:
        by_instant.setdefault((d.scope, d.at), []).append(d)
    for (scope, at), group in by_instant.items():
        with uow_factory(workspace) as uow:  # a read, without the workspace lock (uow.lock) commands take
            report = report_at(uow, at, None if scope == ORG else scope)
        lines = narrated(report, summarizer).lines  # the model, if any, is called with no transaction open
        with uow_factory(workspace) as uow:
            messages = [
                from_notice(Notice(lines=lines, person=d.person, key=d.key, offers=report.offers), d.at)
                for d in group
                if uow.briefings.claim(d.scope, d.person, d.period, now or d.at)
            ]
            queued += uow.outbox.add_all(messages)
            uow.commit()
    return queued, skipped


def _paused(uow: UnitOfWork, scope: str) -> bool:
    """`rhythm pause --team T` stops everything T's rhythm sends, its leaders' briefing included."""
    r = uow.rhythms.get(scope) if scope != ORG else None
    return r is not None and r.paused


def _skip(uow_factory: UnitOfWorkFactory, workspace: str, d: Due, at: datetime) -> int:
    with uow_factory(workspace) as uow:
        if not uow.briefings.claim(d.scope, d.person, d.period, at, "skipped"):
            return 0
        uow.commit()
    log.warning("briefing: %s %s due %s is older than the grace window: skipped", workspace, d.key, d.at.isoformat())
    return 1
