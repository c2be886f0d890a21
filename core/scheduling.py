"""`tick`: do every rhythm step that fell due in (t0, t1], each exactly once.

The same function serves the scheduler (over the time since its last tick), the console's
`!time` (over the jump) and tests. Every step is claimed in the database before anything
happens: the claim row is inserted in the step's own transaction, together with the run's
changes and the step's messages in the outbox. The unique claim row makes a second process (or
a restarted one) skip the step; a crash before the commit leaves no claim, so another tick does
it. After downtime, steps older than the grace window are claimed as skipped and logged, not
done: nobody wants Monday's stand-up prompt on Wednesday.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.briefing_runs import send_due
from core.checkins import asked_zones, perform
from core.context import workspace_today
from core.escalation import escalate
from core.outbox import from_notice
from core.ports import Summarizer, UnitOfWorkFactory
from core.rhythm import STEP_ORDER, DueStep, Rhythm, Step, due
from core.slips import settle

log = logging.getLogger(__name__)

DEFAULT_GRACE = timedelta(minutes=30)


@dataclass
class Ticked:
    done: list[DueStep] = field(default_factory=list)
    skipped: list[DueStep] = field(default_factory=list)
    """Too old when found (after downtime): claimed as skipped, not done."""
    taken: list[DueStep] = field(default_factory=list)
    """Already claimed: done (or being done) by another process or an earlier tick."""
    queued: int = 0
    """Messages put in the outbox."""
    escalated: int = 0
    """Escalation messages among them."""
    failed: list[DueStep] = field(default_factory=list)
    """Steps that raised (bad data, say): nothing of them was kept, they are tried again next tick."""
    broken: list[str] = field(default_factory=list)
    """Teams whose schedule cannot be worked out (a time zone this machine does not know, say)."""
    briefed: int = 0
    """Leader briefings among them (one message per person)."""
    briefings_skipped: int = 0
    """Briefings found too long after their time: claimed as skipped, not sent."""
    slips: int = 0
    """Slip alerts sent (core.slips), one message each."""

    @property
    def complete(self) -> bool:
        """No step failed: the next tick may start after this window. (A team whose schedule cannot
        be worked out at all is not waited for: looking again at the same window would not help.)"""
        return not self.failed


def tick(
    uow_factory: UnitOfWorkFactory,
    workspace: str,
    t0: datetime,
    t1: datetime,
    *,
    now: datetime | None = None,
    grace: timedelta | None = None,
    summarizer: Summarizer | None = None,
) -> Ticked:
    """Do the steps due in (t0, t1]. With `grace`, a step due before `now - grace` is skipped
    (a close is always done: it only ends a run). Then climb the escalation ladder, and send the
    weekly leader briefings due (their opening written by `summarizer` when one is given)."""
    result = Ticked()
    with uow_factory(workspace) as uow:
        archived = {t.handle for t in uow.teams.list() if t.archived}
        rhythms = [r for r in uow.rhythms.list() if r.team not in archived]  # archived teams leave the rhythm
        zones = asked_zones(uow, rhythms)
    for step in _due(rhythms, t0, t1, zones, result):
        stale = grace is not None and now is not None and step.at < now - grace and step.step is not Step.CLOSE
        try:
            _do(uow_factory, workspace, step, stale, now, grace, result)
        except Exception:  # one team's bad data must not stop the others' prompts
            log.exception("rhythm: %s %s failed; the other steps go on, it is tried again next tick", workspace,
                          step.key)  # fmt: skip
            result.failed.append(step)
    if _crosses_an_hour(t0, t1):
        result.escalated = _escalate(uow_factory, workspace, t1)
        result.queued += result.escalated
    result.slips = _slips(uow_factory, workspace, t1)
    result.queued += result.slips
    result.briefed, result.briefings_skipped = send_due(uow_factory, workspace, t0, t1, now=now, late_after=grace,
                                                        summarizer=summarizer)  # fmt: skip
    result.queued += result.briefed
    return result


def _due(rhythms: list[Rhythm], t0: datetime, t1: datetime, zones: Mapping[str, Sequence[str]],
         result: Ticked) -> list[DueStep]:  # fmt: skip
    """`due` team by team: a team whose schedule cannot be worked out is logged and left out."""
    found: list[DueStep] = []
    for rhythm in rhythms:
        try:
            found.extend(due([rhythm], t0, t1, zones))
        except Exception as e:
            log.error("rhythm: the schedule of team %s cannot be worked out (%s: %s); its steps are skipped",
                      rhythm.team, type(e).__name__, e)  # fmt: skip
            result.broken.append(rhythm.team)
    found.sort(key=lambda s: (s.at, s.team, s.kind.value, STEP_ORDER[s.step], s.zone))
    return found


def _do(uow_factory: UnitOfWorkFactory, workspace: str, step: DueStep, stale: bool, now: datetime | None,
        grace: timedelta | None, result: Ticked) -> None:  # fmt: skip
    """Claim one step and do it (or skip it, if stale), in one transaction with what it queues."""
    with uow_factory(workspace) as uow:
        if not uow.claims.claim(step.team, step.kind, step.period, step.step, now or step.at,
                                "skipped" if stale else "done", step.zone):  # fmt: skip
            result.taken.append(step)
            return
        if stale:
            log.warning("rhythm: %s %s due %s is older than the %s grace window: skipped",
                        workspace, step.key, step.at.isoformat(), grace)  # fmt: skip
            uow.commit()
            result.skipped.append(step)
            return
        result.queued += uow.outbox.add_all([from_notice(n, step.at) for n in perform(uow, step)])
        uow.commit()
        result.done.append(step)


def _slips(uow_factory: UnitOfWorkFactory, workspace: str, at: datetime) -> int:
    """Settle the pending slip alerts and notice dependencies that became overdue (core.slips), under the
    workspace lock: two scheduler processes never both send one alert (and its row is unique anyway)."""
    with uow_factory(workspace) as uow:
        uow.lock()
        notices = settle(uow, at, workspace_today(uow, at))
        queued = uow.outbox.add_all([from_notice(n, at) for n in notices])
        uow.commit()
    return queued


def _crosses_an_hour(t0: datetime, t1: datetime) -> bool:
    """Escalation thresholds are counted in days: looking once an hour is plenty, and cheap."""
    return t1 - t0 >= timedelta(hours=1) or t0.replace(minute=0, second=0, microsecond=0) != t1.replace(
        minute=0, second=0, microsecond=0
    )


def _escalate(uow_factory: UnitOfWorkFactory, workspace: str, at: datetime) -> int:
    """Raise what has been stuck too long up the ladder. Under the workspace lock, so that two
    scheduler processes never both climb the same rung (each rung is an event they both read)."""
    with uow_factory(workspace) as uow:
        uow.lock()
        notices = escalate(uow, at)
        queued = uow.outbox.add_all([from_notice(n, at) for n in notices])
        uow.commit()
    return queued
