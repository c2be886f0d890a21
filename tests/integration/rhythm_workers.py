"""Child-process code for the scheduler tests (importable, as `spawn` requires)."""

from __future__ import annotations

import os
import signal
import time
from datetime import datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from sqlalchemy import Engine, text

from core.outbox import drain
from core.ports import OutboxMessage
from core.scheduling import tick
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory


class TableDelivery:
    """A stand-in chat platform: every delivery attempt is a row in `delivered`, written outside
    the outbox's transaction (as a real API call would be), with the sending process's pid."""

    def __init__(self, engine: Engine, pause: float, die_at_slip: int | None = None) -> None:
        self.engine, self.pause, self.die_at_slip = engine, pause, die_at_slip
        self.slips = 0

    def deliver(self, message: OutboxMessage) -> None:
        with self.engine.begin() as conn:
            conn.execute(text("INSERT INTO delivered (key, pid) VALUES (:k, :p)"), {"k": message.key, "p": os.getpid()})
        if message.key.startswith("slip:"):
            self.slips += 1
            if self.slips == self.die_at_slip:  # delivered, not yet recorded: the worst moment to die
                os.kill(os.getpid(), signal.SIGKILL)
        if self.pause:
            time.sleep(self.pause)


def scheduler_day(
    url: str, workspace: str, start: datetime, end: datetime, step_minutes: int, pause: float,
    barrier: Barrier, out: Queue[tuple[int, int]],
) -> None:  # fmt: skip
    """One scheduler process with its own fake clock: tick and drain from `start` to `end`."""
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    delivery = TableDelivery(engine, pause)
    done = 0
    barrier.wait(timeout=60)
    last, now = start, start
    while now < end:
        now = min(now + timedelta(minutes=step_minutes), end)
        done += len(tick(factory, workspace, last, now).done)
        drain(factory, workspace, delivery, now, lease=LEASE)
        last = now
    # Like a scheduler that keeps running: whatever a sender that died had claimed is taken over
    # once its lease has run out (by the database's clock), and sent.
    deadline = time.monotonic() + 60
    while _pending(engine) and time.monotonic() < deadline:
        time.sleep(LEASE.total_seconds() / 4)
        drain(factory, workspace, delivery, end, lease=LEASE)
    out.put((os.getpid(), done))
    engine.dispose()


LEASE = timedelta(seconds=2)


def _pending(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM outbox WHERE state = 'pending'")).scalar_one())


def slip_week(
    url: str, workspace: str, start: datetime, end: datetime, step_minutes: int, die_midway: bool,
    barrier: Barrier, out: Queue[tuple[int, int]],
) -> None:  # fmt: skip
    """One scheduler process over a week of slips: tick and drain every `step_minutes` of fake time;
    returns the alerts it sent. With `die_midway` it is SIGKILLed at a point set in fake time, not
    by a timer: right after delivering its second slip alert (before the outbox records it), or at
    mid-week if it has not delivered two by then."""
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    delivery = TableDelivery(engine, 0.0, die_at_slip=2 if die_midway else None)
    midway = start + (end - start) / 2
    sent = 0
    barrier.wait(timeout=60)
    last, now = start, start
    while now < end:
        now = min(now + timedelta(minutes=step_minutes), end)
        sent += tick(factory, workspace, last, now, now=now).slips
        drain(factory, workspace, delivery, now, lease=LEASE)
        last = now
        if die_midway and now >= midway:
            os.kill(os.getpid(), signal.SIGKILL)
    deadline = time.monotonic() + 60
    while _pending(engine) and time.monotonic() < deadline:
        time.sleep(LEASE.total_seconds() / 4)
        drain(factory, workspace, delivery, end, lease=LEASE)
    out.put((os.getpid(), sent))
    engine.dispose()
