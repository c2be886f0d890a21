"""The rhythm scheduler: APScheduler calls `run_once` every few seconds; `run_once` asks the core
what fell due since the last run (core.scheduling.tick over (last, now] for every workspace) and
hands what that queued to the outbox's sender (bot.outbound.OutboxPump).

Why an interval and not one cron trigger per team: the core's `due` already turns each team's
schedule into instants in its own time zone, DST included, so one short interval over (last, now]
finds every step whatever the zones; cron jobs would have to be rebuilt on every `rhythm set`.
Any number of these may run against one PostgreSQL database: every step is claimed by a unique
row before anything is sent, and outbox rows are leased to one sender at a time.

Each workspace is ticked on its own: one that raises (bad data, a broken time zone) is logged with
its name and skipped, the others go on, and its window is looked at again next time (its steps
already done are found claimed). APScheduler settings, chosen on purpose:
- `coalesce=True`, `max_instances=1`: runs that piled up (a slow database, a suspended laptop)
  collapse into one; two never overlap in one process.
- `misfire_grace_time` = the grace window: a run late by less still happens. A run dropped for
  being later loses nothing, because the next run covers (last, now] anyway; the grace window
  of `tick` then decides which steps are still worth doing (older ones are skipped and logged).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from bot.outbound import OutboxPump
from core.context import Services
from core.ports import Clock, OutboxMessage, UnitOfWorkFactory
from core.scheduling import DEFAULT_GRACE, Ticked, tick
from storage.uow import workspaces

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

INTERVAL = timedelta(seconds=20)
LOOKBACK = timedelta(hours=6)
"""At start, steps this far back are looked at: done if within the grace window and unclaimed,
skipped and logged if older (steps another scheduler already did are found claimed). A workspace
whose ticks keep failing is never looked at further back than this either."""


@dataclass
class RhythmScheduler:
    uow_factory: UnitOfWorkFactory
    engine: Engine
    clock: Clock
    pump: OutboxPump | None = None
    """Sends what the ticks queued; None leaves sending to other processes (`--deliver none`)."""
    only: Iterable[str] | None = None
    """Workspace names to serve (default: all in the database)."""
    grace: timedelta = DEFAULT_GRACE
    interval: timedelta = INTERVAL
    metrics: Metrics | None = None
    send_inline: bool = False
    """Send in `run_once` itself (`--once`: nothing is left running afterwards) instead of waking the
    pump's thread."""
    last: dict[str, datetime] = field(default_factory=dict)
    """Per workspace: the end of the last window it was ticked over completely."""
    services: Services = field(default_factory=Services)
    """The LLM summarizer, when configured, writes the leader briefings' opening paragraph."""

    def run_once(self, now: datetime | None = None) -> dict[str, Ticked]:
        """Tick every workspace over (its last, now], each on its own, then send."""
        now = now or self.clock.now()
        done: dict[str, Ticked] = {}
        names = list(self.only) if self.only is not None else workspaces(self.engine)
        for name in names:
            since = max(self.last.get(name, now - LOOKBACK), now - LOOKBACK)
            try:
                done[name] = ticked = tick(self.uow_factory, name, since, now, now=now, grace=self.grace,
                                           summarizer=self.services.summarizer)  # fmt: skip
            except Exception:  # one workspace's bad data must not stop the others' rhythm
                log.exception("rhythm: workspace %s failed to tick; the others go on, it is tried again next tick",
                              name)  # fmt: skip
                self._ticked(False)
                continue
            self._ticked(ticked.complete)
            if ticked.complete:
                self.last[name] = now
        if self.pump is not None:
            if self.send_inline:
                self.pump.run_once()
            else:
                self.pump.kick()
        return done

    def _ticked(self, ok: bool) -> None:
        if self.metrics is not None:
            self.metrics.ticked(ok)

    def build(self, *, blocking: bool = True) -> object:
        """An APScheduler 3 scheduler (not started) with the one interval job."""
        from apscheduler.schedulers.background import BackgroundScheduler
        from apscheduler.schedulers.blocking import BlockingScheduler
        from apscheduler.triggers.interval import IntervalTrigger

        scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone="UTC")
        scheduler.add_job(
            self.run_once,  # an exception is logged by APScheduler; the next run covers the same window
            IntervalTrigger(seconds=int(self.interval.total_seconds()), timezone="UTC"),
            id="flotilla-rhythm",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=int(self.grace.total_seconds()),
            next_run_time=self.clock.now(),
        )
        return scheduler


class PrintDelivery:
    """Delivers by printing each message as the console shows it (`flotilla scheduler --deliver print`)."""

    def __init__(self, write: Callable[[str], None]) -> None:
        self.write = write

    def deliver(self, message: OutboxMessage) -> None:
        from bot.console import render_notice

        self.write(render_notice(message.notice))


def start_background(
    uow_factory: UnitOfWorkFactory, engine: Engine, clock: Clock, pump: OutboxPump | None,
    metrics: Metrics | None = None, services: Services | None = None,
) -> Callable[[], None]:  # fmt: skip
    """Start the scheduler in a background thread beside an adapter (`serve`); returns its stop."""
    rhythm = RhythmScheduler(uow_factory, engine, clock, pump, metrics=metrics, services=services or Services())
    scheduler = rhythm.build(blocking=False)
    scheduler.start()  # type: ignore[attr-defined]
    return lambda: scheduler.shutdown(wait=False)  # type: ignore[attr-defined]
