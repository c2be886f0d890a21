"""Worker processes that run queued Slack commands and mentions (bot.slack.jobs).

`serve slack` starts them beside the process that serves Slack's requests (`--workers N`, default
1): that process then only checks signatures, queues and acks, and a command's CPU is spent in
another interpreter. Each worker builds the same app from the same settings (it never serves
HTTP) and takes jobs from the database, so workers on other machines share the work safely.
A worker that exits is started again; a job it held is taken over when its lease runs out.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import select
import signal
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from bot.bootstrap import build, settle_heap
from bot.clock import SystemClock
from bot.settings import Settings, StartupError
from core.ports import Clock

log = logging.getLogger(__name__)

RESTART_CHECK_SECONDS = 1.0
RESTART_MAX_WAIT = 60.0
"""A worker that keeps failing at start is started again after 1, 2, 4 ... at most 60 s."""
STEADY_SECONDS = 60.0
NICENESS = 10
THREADS = 2
"""Workers yield the CPU to the process that acks: Slack times acks, not commands (BENCHMARKS.md)."""


class WakeReader:
    """The worker's end of its wake-up pipe: `wait(timeout)` until the serving process queued a
    job (or the timeout), `clear()` to take the wake-ups that came, `set()` for the worker to wake
    its own job threads (to stop them). What `JobRunner.wake_on` takes, in place of its Event."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader  # a multiprocessing Connection: it crosses to a spawned process
        self._own: tuple[int, int] | None = None  # a pipe of this process's own, made where it is used
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {"_reader": self._reader}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._reader, self._own, self._lock = state["_reader"], None, threading.Lock()

    def _fds(self) -> list[int]:
        with self._lock:
            if self._own is None:
                self._own = os.pipe()
                for fd in self._own:
                    os.set_blocking(fd, False)
            return [self._reader.fileno(), self._own[0]]

    def wait(self, timeout: float | None = None) -> bool:
        ready, _, _ = select.select(self._fds(), [], [], timeout)
        return bool(ready)

    def set(self) -> None:
        self._fds()
        assert self._own is not None
        try:
            os.write(self._own[1], b"!")
        except BlockingIOError:  # a wake-up is waiting already
            pass

    def clear(self) -> None:
        for fd in self._fds():
            os.set_blocking(fd, False)  # two threads may both have seen it readable
            try:
                while os.read(fd, 4096):
                    pass
            except BlockingIOError:
                pass


class WakePipe:
    """A wake-up call from the serving process to one worker that neither side's death can jam.

    A multiprocessing.Event is a Condition underneath: a worker killed inside its wait() (SIGKILL,
    the OOM killer) leaves a sleeper that never acknowledges, and the serving process's next set()
    then blocks forever, in the request thread that queued a command, so no command is acked
    again. A byte in a pipe has no handshake: the writer never waits (a full pipe already holds a
    wake-up), and a worker that died leaves only a pipe nobody reads, replaced when it restarts."""

    def __init__(self, ctx: Any) -> None:
        reader, self._writer = ctx.Pipe(duplex=False)
        self.reader = WakeReader(reader)
        os.set_blocking(self._writer.fileno(), False)

    def set(self) -> None:
        try:
            os.write(self._writer.fileno(), b"!")
        except OSError:  # BlockingIOError: a wake-up is waiting already; a closed pipe: it is gone
            pass

    def close(self) -> None:
        self._writer.close()


def work(values: dict[str, Any], database_url: str | None, socket: bool, parent: int, clock: Clock | None = None,
         niceness: int = 0, threads: int = 1, ready: Any = None, queued: Any = None) -> None:  # fmt: skip
    """A worker process's life: build, warm up, say it is ready (`ready`, a multiprocessing Event),
    run jobs until SIGTERM or until its parent is gone."""
    from bot.slack.app import build_slack

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops us
    if niceness:
        os.nice(niceness)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(levelname)s %(name)s: %(message)s")
    flotilla = build(Settings(**values), database_url=database_url)
    try:
        service = build_slack(flotilla.settings, flotilla.engine, flotilla.uow_factory, clock or SystemClock(),
                              services=flotilla.services, socket=socket)  # fmt: skip
    except StartupError as e:  # one line, as `serve` says it; the parent starts us again later
        log.error("%s", e)
        sys.exit(1)
    from bot.metrics import Metrics
    from bot.slack.serve import start_sending

    start_sending(flotilla, service, Metrics(flotilla.engine))  # notices go out from here, right after a command
    service.warm_up()
    if queued is not None:
        service.runner.wake_on(queued)
    settle_heap()
    loops = [threading.Thread(target=service.runner.work, args=(done,), daemon=True) for _ in range(threads)]
    for loop in loops:
        loop.start()
    if ready is not None:
        ready.set()
    while not done.wait(RESTART_CHECK_SECONDS):
        if os.getppid() != parent:  # the serving process died without stopping us
            done.set()
    for loop in loops:
        loop.join(30)  # a job under way finishes; one cut short is taken again after its lease
    service.close()
    flotilla.close()


@dataclass
class Workers:
    """N worker processes, started again when one exits, until `stop()`."""

    settings: Settings
    count: int
    database_url: str | None = None
    """`serve slack --db`, when given: it wins over the settings' FLOTILLA_DATABASE_URL."""
    socket: bool = False
    clock: Clock | None = None
    """For benchmarks: a clock the workers can be given (it is pickled); the system's by default."""
    niceness: int = NICENESS
    threads: int = THREADS
    """Jobs each worker runs at once: one's Web API calls (the answer, users.info) overlap another's
    database work; on SQLite the commits still take turns."""
    _ctx: Any = field(default_factory=lambda: multiprocessing.get_context("spawn"), init=False)
    _processes: list[Any] = field(default_factory=list, init=False)
    _ready: list[Any] = field(default_factory=list, init=False)
    _wakes: list[WakePipe] = field(default_factory=list, init=False)
    _watching: threading.Event = field(default_factory=threading.Event, init=False)
    _watcher: threading.Thread | None = field(default=None, init=False)

    def start(self) -> Workers:
        self._ready = [self._ctx.Event() for _ in range(self.count)]
        self._wakes = [WakePipe(self._ctx) for _ in range(self.count)]
        self._processes = [self._spawn(n) for n in range(self.count)]
        self._watcher = threading.Thread(target=self._watch, daemon=True, name="slack-workers")
        self._watcher.start()
        return self

    def _spawn(self, n: int) -> Any:
        # New ones for each start: a worker killed while it held either's internals leaves them
        # unusable (see WakePipe), so nothing of a dead worker's is reused.
        self._ready[n] = self._ctx.Event()
        self._wakes[n].close()
        self._wakes[n] = WakePipe(self._ctx)
        process = self._ctx.Process(target=work, name=f"flotilla-slack-worker-{n}", daemon=True,
                                    args=(self.settings.model_dump(), self.database_url, self.socket, os.getpid(),
                                          self.clock, self.niceness, self.threads, self._ready[n],
                                          self._wakes[n].reader))  # fmt: skip
        process.start()
        return process

    def _watch(self) -> None:
        started = {n: time.monotonic() for n in range(self.count)}
        died: dict[int, float] = {}
        failures = dict.fromkeys(range(self.count), 0)
        while not self._watching.wait(RESTART_CHECK_SECONDS):
            for n, process in enumerate(self._processes):
                if process.is_alive() or self._watching.is_set():
                    continue
                now = time.monotonic()
                if n not in died:  # just found dead: how long had it run?
                    died[n] = now
                    if now - started[n] > STEADY_SECONDS:
                        failures[n] = 0  # a crash after a good run, not a failure at start
                if now - died[n] < min(RESTART_MAX_WAIT, RESTART_CHECK_SECONDS * 2 ** failures[n]) - 1:
                    continue  # failing at start (database down, bad token): back off, don't spin
                log.error("Slack worker %d exited (code %s): starting it again", n, process.exitcode)
                failures[n] += 1
                started[n] = now
                del died[n]
                self._processes[n] = self._spawn(n)

    def wake(self) -> None:
        """A job was queued by this process: the workers take it now rather than at their next poll."""
        for wake in self._wakes:
            wake.set()

    def ready(self) -> bool:
        """Whether some worker has built its app and is taking jobs (a command would be answered now)."""
        return any(p.is_alive() and r.is_set() for p, r in zip(self._processes, self._ready, strict=True))

    def wait_ready(self, timeout: float) -> bool:
        """Wait until `ready()` (tests, benchmarks); False if it was not within `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while not self.ready():
            if time.monotonic() > deadline:
                return False
            for r in self._ready:
                if r.wait(0.05):
                    break
        return True

    def exitcodes(self) -> list[int | None]:
        """How the current worker processes ended (None: still running)."""
        return [p.exitcode for p in self._processes]

    def pids(self) -> list[int]:
        """Process ids of the workers alive now."""
        return [p.pid for p in self._processes if p.is_alive()]

    def stop(self, timeout: float = 35.0) -> None:
        """SIGTERM: each worker finishes the job it is running, then exits."""
        self._watching.set()
        if self._watcher is not None:
            self._watcher.join(5)
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join(timeout)
            if process.is_alive():
                process.kill()
                process.join(5)
