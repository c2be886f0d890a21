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
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.briefing_runs import send_due
from core.checkins import perform
from core.escalation import escalate
from core.outbox import from_notice
from core.ports import Summarizer, UnitOfWorkFactory
from core.rhythm import DueStep, Step, due

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
    briefed: int = 0
    """Leader briefings among them (one message per person)."""
    briefings_skipped: int = 0
    """Briefings found too long after their time: claimed as skipped, not sent."""


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
        rhythms = list(uow.rhythms.list())
    for step in due(rhythms, t0, t1):
        stale = grace is not None and now is not None and step.at < now - grace and step.step is not Step.CLOSE
        with uow_factory(workspace) as uow:
            if not uow.claims.claim(step.team, step.kind, step.period, step.step, now or step.at,
                                    "skipped" if stale else "done"):  # fmt: skip
                result.taken.append(step)
                continue
            if stale:
                log.warning("rhythm: %s %s due %s is older than the %s grace window: skipped",
                            workspace, step.key, step.at.isoformat(), grace)  # fmt: skip
                uow.commit()
                result.skipped.append(step)
                continue
            result.queued += uow.outbox.add_all([from_notice(n, step.at) for n in perform(uow, step)])
            uow.commit()
            result.done.append(step)
    if _crosses_an_hour(t0, t1):
        result.escalated = _escalate(uow_factory, workspace, t1)
        result.queued += result.escalated
    result.briefed, result.briefings_skipped = send_due(uow_factory, workspace, t0, t1, now=now, late_after=grace,
                                                        summarizer=summarizer)  # fmt: skip
    result.queued += result.briefed
    return result


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
