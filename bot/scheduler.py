"""The rhythm scheduler: APScheduler calls `run_once` every few seconds; `run_once` asks the core
what fell due since the last run (core.scheduling.tick over (last, now] for every workspace) and
drains the outbox.

Why an interval and not one cron trigger per team: the core's `due` already turns each team's
schedule into instants in its own time zone, DST included, so one short interval over (last, now]
finds every step whatever the zones; cron jobs would have to be rebuilt on every `rhythm set`.
Any number of these may run against one PostgreSQL database: every step is claimed by a unique
row before anything is sent, and outbox rows are taken with FOR UPDATE SKIP LOCKED.

APScheduler settings, chosen on purpose:
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

from core.outbox import OutboxMessage, drain
from core.ports import ChatDelivery, Clock, UnitOfWorkFactory
from core.scheduling import DEFAULT_GRACE, Ticked, tick
from core.service import Services
from storage.uow import workspaces

if TYPE_CHECKING:
    from bot.bootstrap import Flotilla

log = logging.getLogger(__name__)

INTERVAL = timedelta(seconds=20)
LOOKBACK = timedelta(hours=6)
"""At start, steps this far back are looked at: done if within the grace window and unclaimed,
skipped and logged if older (steps another scheduler already did are found claimed)."""


@dataclass
class RhythmScheduler:
    uow_factory: UnitOfWorkFactory
    engine: Engine
    clock: Clock
    delivery_for: Callable[[str], ChatDelivery | None]
    """The delivery of a workspace, or None to leave its outbox to another process (serve)."""
    only: Iterable[str] | None = None
    """Workspace names to serve (default: all in the database)."""
    grace: timedelta = DEFAULT_GRACE
    interval: timedelta = INTERVAL
    last: datetime | None = field(default=None)
    services: Services = field(default_factory=Services)
    """The LLM summarizer, when configured, writes the leader briefings' opening paragraph."""

    def run_once(self, now: datetime | None = None) -> dict[str, Ticked]:
        """Tick every workspace over (last, now] and drain the outboxes we deliver for."""
        now = now or self.clock.now()
        since = self.last or now - LOOKBACK
        done: dict[str, Ticked] = {}
        names = list(self.only) if self.only is not None else workspaces(self.engine)
        for name in names:
            done[name] = tick(self.uow_factory, name, since, now, now=now, grace=self.grace,
                              summarizer=self.services.summarizer)  # fmt: skip
            delivery = self.delivery_for(name)
            if delivery is not None:
                drain(self.uow_factory, name, delivery, now)
        self.last = now
        return done

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


def start_background(flotilla: Flotilla, delivery: ChatDelivery | None) -> Callable[[], None]:
    """Start the scheduler in a background thread beside an adapter (`serve`); returns its stop."""
    from bot.clock import SystemClock

    rhythm = RhythmScheduler(flotilla.uow_factory, flotilla.engine, SystemClock(), lambda _name: delivery,
                             services=flotilla.services)  # fmt: skip
    scheduler = rhythm.build(blocking=False)
    scheduler.start()  # type: ignore[attr-defined]
    return lambda: scheduler.shutdown(wait=False)  # type: ignore[attr-defined]
