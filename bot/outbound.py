"""Sending what the outbox holds, in every process that can: the delivery registry and the pump.

**Deliveries** answers "who sends this workspace's messages?": the platform that owns the
workspace (core.service.PLATFORM: the first platform a command came through), when this process
holds that platform's credentials. A workspace this process cannot reach is left alone, never
marked sent: `serve slack`, `serve teams` and `flotilla scheduler` each deliver what they can,
and a console workspace's messages are printed only where that was asked for
(`scheduler --deliver print`, the console itself).

**OutboxPump** is a thread that drains, off every request thread, each workspace it can deliver:
when kicked (a command just queued notices) and whenever the earliest pending message falls due
(a retry after a Retry-After, say). Draining is core.outbox.drain: claim, send with no
transaction open, record. One workspace's failure is logged with its name and skipped; the
others go on, and the failing one is tried again on a later pass.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from core.outbox import Drained, drain
from core.ports import ChatDelivery, Clock, UnitOfWorkFactory
from storage.migrate import ensure_schema
from storage.outbox_admin import CONSOLE, Waiting, waiting

if TYPE_CHECKING:
    from bot.metrics import Metrics

log = logging.getLogger(__name__)

Outbound = Callable[[str], ChatDelivery | None]
"""A platform's deliveries: the one for a workspace, or None when this process can't reach it
(no token for that Slack workspace, say)."""

IDLE_SECONDS = 5.0
"""Longest the pump sleeps without a kick: it notices rows other processes queued that soon."""
FAILED_WORKSPACE_SECONDS = 30.0
"""A workspace whose drain raised is left alone this long before it is tried again."""


@dataclass
class Deliveries:
    """Which ChatDelivery sends a workspace's messages, by the platform that owns it."""

    platforms: Mapping[str, Outbound] = field(default_factory=dict)
    """"slack" / "teams" -> that platform's deliveries, for the platforms this process holds credentials of."""
    console: ChatDelivery | None = None
    """Console workspaces' messages (`scheduler --deliver print`); None leaves them to the console."""
    only: frozenset[str] | None = None
    """Deliver these workspaces alone (`scheduler --workspace`); None: every one."""

    def for_workspace(self, workspace: str, platform: str) -> ChatDelivery | None:
        if self.only is not None and workspace not in self.only:
            return None
        if platform == CONSOLE:
            return self.console
        outbound = self.platforms.get(platform)
        return outbound(workspace) if outbound is not None else None

    def reaches(self, platform: str) -> bool:
        return (self.console is not None) if platform == CONSOLE else platform in self.platforms


@dataclass
class OutboxPump:
    engine: Engine
    uow_factory: UnitOfWorkFactory
    deliveries: Deliveries
    clock: Clock
    metrics: Metrics | None = None
    idle: float = IDLE_SECONDS
    _wake: threading.Event = field(default_factory=threading.Event, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)
    _resting: dict[str, float] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _schema_ready: bool = field(default=False, init=False)

    def kick(self) -> None:
        """Something was queued: look now rather than at the next due time."""
        self._wake.set()

    def run_once(self) -> dict[str, Drained]:
        """One pass: drain every workspace with something due that this process can deliver."""
        with self._lock:  # the thread and a caller's `settle` never drain at once in one process
            if not self._schema_ready:
                ensure_schema(self.engine)
                self._schema_ready = True
            now = self.clock.now()
            done: dict[str, Drained] = {}
            for w in self._mine(waiting(self.engine)):
                if w.due > now or self._resting.get(w.workspace, 0.0) > time.monotonic():
                    continue
                try:
                    delivery = self.deliveries.for_workspace(w.workspace, w.platform)
                    if delivery is None:
                        continue
                    done[w.workspace] = drained = drain(self.uow_factory, w.workspace, delivery, now,
                                                        clock=self.clock.now)  # fmt: skip
                except Exception:
                    log.exception("outbox: delivering workspace %s failed; the others go on, it is tried "
                                  "again in %.0f s", w.workspace, FAILED_WORKSPACE_SECONDS)  # fmt: skip
                    self._resting[w.workspace] = time.monotonic() + FAILED_WORKSPACE_SECONDS
                    continue
                if self.metrics is not None:
                    self.metrics.drained(w.platform, drained)
            return done

    def _mine(self, found: list[Waiting]) -> list[Waiting]:
        only = self.deliveries.only
        return [w for w in found if self.deliveries.reaches(w.platform) and (only is None or w.workspace in only)]

    def _sleep_for(self) -> float:
        now = self.clock.now()
        found = [w for w in self._mine(waiting(self.engine)) if w.workspace not in self._resting
                 or self._resting[w.workspace] <= time.monotonic()]  # fmt: skip
        if not found:
            return self.idle
        return min(self.idle, max(0.05, (min(w.due for w in found) - now).total_seconds()))

    def start(self) -> OutboxPump:
        self._thread = threading.Thread(target=self._run, daemon=True, name="flotilla-outbox")
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            wait = self.idle
            try:
                self.run_once()
                wait = self._sleep_for()
            except Exception:  # the database went away: keep the thread, try again later
                log.exception("outbox: a pass failed; trying again in %.0f s", self.idle)
            self._wake.wait(wait)
            self._wake.clear()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(10)

    def settle(self, timeout: float = 30.0) -> None:
        """Drain until nothing this process can deliver is due (tests, benchmarks, shutdown)."""
        deadline = time.monotonic() + timeout
        while True:
            self.run_once()
            now: datetime = self.clock.now()
            if not [w for w in self._mine(waiting(self.engine)) if w.ready <= now]:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"outbox messages still due after {timeout} s")
            time.sleep(0.01)
