"""Child-process code for the briefing tests (importable, as `spawn` requires)."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from core.scheduling import tick
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory


def briefing_week(
    url: str, workspace: str, start: datetime, end: datetime, step_minutes: int, barrier: Barrier,
    out: Queue[tuple[int, int]],
) -> None:  # fmt: skip
    """One scheduler process with its own fake clock, ticking from `start` to `end`; reports what it queued."""
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    queued = 0
    barrier.wait(timeout=60)
    last, now = start, start
    while now < end:
        now = min(now + timedelta(minutes=step_minutes), end)
        queued += tick(factory, workspace, last, now).briefed
        last = now
    out.put((os.getpid(), queued))
    engine.dispose()
