"""Typed commands and mentions, kept in the database from their ack until they have run.

Slack times the ack (3 s) and never retries an acked request, so the ack first writes the request
here. A crash, a deploy or a restart after the ack loses nothing: whichever worker takes the job
next runs it. A worker holds a job on a lease; a worker that dies mid-job lets the lease run out
and another one takes it over. The job is deleted in the same transaction that commits the
command, so a command that was saved never runs twice (only its answer can be lost, if the worker
dies between the commit and the post). A command that fails is reported to the person once and
not retried; a job whose worker died MAX_ATTEMPTS times is given up, and the person told.

Workers run in processes of their own under `serve slack` (`--workers`), so that the process that
acks spends no interpreter time on commands (BENCHMARKS.md), or as threads beside the app.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Self

from sqlalchemy import (
    Engine,
    delete,
    event,
    func,
    insert,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import OperationalError

from bot.slack.store import SlackStore
from core.ports import UnitOfWork, UnitOfWorkFactory
from storage.engine import READ_ONLY, is_sqlite, make_engine
from storage.migrate import ensure_schema
from storage.tables import SLACK_JOBS

log = logging.getLogger(__name__)

JOBS_TABLE = "flotilla_slack_jobs"
LEASE_SECONDS = 300.0
"""How long a worker may hold a job before another takes it over: far beyond any command (an LLM
call is 20 s at most, a rate-limited Web API call waits its Retry-After). If a run does outlast
it, the run that took over commits and answers; the late one's commit fails (LeaseLost)."""
MAX_ATTEMPTS = 3
POLL_SECONDS = 0.05
"""How often an idle worker looks for new jobs (threads beside the app are also woken at once)."""
PRUNE_SECONDS = 3600.0
"""How often old claims are deleted, by whichever job runner is idle then."""

PUT_PATIENCE_SECONDS = 2.0
"""How long an ack waits for SQLite's write lock before it gives up (Slack waits 3 s for the ack)."""
PUT_RETRY_SECONDS = 0.0002

COMMAND = "command"
MENTION = "mention"


@dataclass(frozen=True)
class Job:
    id: int
    kind: str
    workspace: str
    payload: dict[str, Any]
    attempts: int
    lease: str
    """The taker's token: only the worker holding it can finish the job (see `done`)."""
    created_at: float = 0.0
    """When its ack queued it (Unix seconds)."""


class Unanswered(RuntimeError):
    """A command was stored, and what came after (its answer) failed: say so, never "try again"."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(f"stored, but not answered: {type(cause).__name__}: {cause}")
        self.cause = cause


class LeaseLost(RuntimeError):
    """The job's lease ran out while it ran and another worker took it: this run must not commit."""


@dataclass
class _Waiting:
    """A job an ack is waiting to see written (by itself or by whichever ack writes first)."""

    row: dict[str, Any]
    deadline: float
    claim: str | None = None
    claimed_at: Any = None
    written: bool = False
    duplicate: bool = False
    """Its claim was taken already (a redelivered event, a replayed request): not queued."""
    error: BaseException | None = None


def _now(conn: Any) -> float:
    """Unix seconds by the database's clock: leases of workers on several machines are timed by one
    clock, not each machine's own. SQLite's clock is this machine's: no statement needed."""
    if conn.dialect.name == "postgresql":
        return float(conn.execute(select(func.extract("epoch", func.clock_timestamp()))).scalar_one())
    return time.time()


class JobQueue:
    """The jobs table (storage.tables.SLACK_JOBS, from the migrations)."""

    def __init__(self, engine: Engine, claims: SlackStore | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self.engine = engine
        self.claims = claims
        self.clock = clock
        """Times an ack's patience (tests move it by hand)."""
        self.table = SLACK_JOBS
        self._put = insert(self.table)
        self._put_engine, self._impatient = _impatient_twin(engine)
        self._put_lock = threading.Lock()
        self._waiting_lock = threading.Lock()
        self._waiting: list[_Waiting] = []

    def create_tables(self) -> None:
        """The table is the migrations' (storage.migrate): brought to head if need be."""
        ensure_schema(self.engine)

    def close(self) -> None:
        if self._put_engine is not self.engine:
            self._put_engine.dispose()

    def put(self, kind: str, workspace: str, payload: dict[str, Any], *, claim: str | None = None,
            claimed_at: Any = None) -> bool:  # fmt: skip
        """Queue a job; with `claim`, only if that key is new (a redelivered event, a replayed
        request): False then, and nothing is queued. The claim is taken in the job's transaction.
        Gives up (raises) PUT_PATIENCE_SECONDS after the call: an ack later than that is no use to
        Slack, and a job written for it would run although the person saw the command fail."""
        deadline = self.clock() + PUT_PATIENCE_SECONDS
        row = {"kind": kind, "workspace": workspace, "payload": json.dumps(payload), "created_at": time.time(),
               "leased_until": None, "lease": None, "attempts": 0}  # fmt: skip
        assert claim is None or self.claims is not None, "a queue that claims keys needs the claims table"
        waiting = _Waiting(row, deadline, claim, claimed_at)
        with self._waiting_lock:
            self._waiting.append(waiting)
        with self._put_lock:  # one writer at a time; it writes every job waiting by then
            if not waiting.written:
                self._write_waiting()
        if waiting.error is not None:
            raise waiting.error
        return not waiting.duplicate

    def _write_waiting(self) -> None:
        """Write every waiting job in one transaction. While the write lock stays taken, the acks
        whose time is up fail (their jobs unwritten) and the others keep trying."""
        with self._waiting_lock:
            batch, self._waiting = self._waiting, []
        try:
            while batch:
                now = self.clock()
                for w in batch:
                    if w.deadline <= now:
                        w.error, w.written = TimeoutError("the job queue stayed locked for too long"), True
                batch = [w for w in batch if not w.written]
                if not batch:
                    return
                try:
                    duplicates = self._put_all(batch)
                except OperationalError as e:
                    if not self._locked(e):
                        raise
                    time.sleep(PUT_RETRY_SECONDS)
                    continue
                for w in batch:
                    w.duplicate = id(w) in duplicates
                    w.written = True
                return
        except BaseException as e:
            for w in batch:
                if not w.written:
                    w.error, w.written = e, True

    def _locked(self, error: OperationalError) -> bool:
        """SQLite's write lock was taken (a worker's command holds it): worth trying again soon."""
        return self._impatient and "locked" in str(error)

    def _put_all(self, batch: list[_Waiting]) -> set[int]:
        """Write the batch's jobs in one transaction, each unless its claim is taken; the ids (of the
        _Waiting objects) of those whose claim was."""
        duplicates: set[int] = set()
        rows = []
        with self._put_engine.begin() as conn:
            for w in batch:
                if w.claim is not None and self.claims is not None:
                    if not self.claims.claim_new(conn, w.claim, w.claimed_at):
                        duplicates.add(id(w))
                        continue
                rows.append(w.row)
            if rows:
                conn.execute(self._put, rows)
        return duplicates

    def take(self) -> Job | None:
        """The oldest job nobody holds, now held by the caller for LEASE_SECONDS (any process). A new
        job is free at once; a lease's end is timed by the database's clock."""
        t = self.table
        lease = uuid.uuid4().hex
        with self.engine.begin() as conn:
            now = _now(conn)
            free = t.c.leased_until.is_(None) | (t.c.leased_until < now)
            pick = select(t).where(free).order_by(t.c.id).limit(1).with_for_update(skip_locked=True)
            row = conn.execute(pick).first()
            if row is None:
                return None
            taken = conn.execute(
                sql_update(t).where((t.c.id == row.id) & free)
                .values(leased_until=now + LEASE_SECONDS, lease=lease, attempts=t.c.attempts + 1)
            )  # fmt: skip
            if taken.rowcount != 1:  # pragma: no cover - another worker took it between the two statements
                return None
        return Job(id=row.id, kind=row.kind, workspace=row.workspace, payload=json.loads(row.payload),
                   attempts=row.attempts + 1, lease=lease, created_at=row.created_at)  # fmt: skip

    def done(self, job: Job, conn: Any = None) -> None:
        """Delete a finished job, in the caller's transaction when given one. Only its lease holder
        may: if another worker has taken it over, raises LeaseLost, and the caller's transaction
        (the command) must roll back, since the other worker runs it."""
        t = self.table
        stmt = delete(t).where((t.c.id == job.id) & (t.c.lease == job.lease))
        if conn is not None:
            if conn.execute(stmt).rowcount != 1:
                raise LeaseLost(f"Slack job {job.id} was taken over by another worker")
            return
        with self.engine.begin() as own:
            own.execute(stmt)

    def pending(self) -> int:
        with self.engine.connect().execution_options(**{READ_ONLY: True}) as conn:
            return int(conn.execute(select(func.count()).select_from(self.table)).scalar_one())


def _impatient_twin(engine: Engine) -> tuple[Engine, bool]:
    """Where acks write their jobs. On a SQLite file: a second engine whose connections do not wait
    in SQLite's busy handler, which sleeps longer and longer (1, 2, 5 ... 100 ms) while a worker's
    command holds the write lock, and so starves an ack behind a busy worker (p99 near 1 s, measured).
    `put` retries every PUT_RETRY_SECONDS instead, and takes the lock within a few ms. PostgreSQL
    inserts don't wait on other transactions: the engine itself."""
    database = engine.url.database or ""
    if not is_sqlite(engine) or database in ("", ":memory:") or "mode=memory" in str(engine.url):
        return engine, False
    twin = make_engine(engine.url.render_as_string(hide_password=False))

    @event.listens_for(twin, "connect")
    def _no_busy_wait(dbapi_connection: Any, _record: Any) -> None:  # runs after make_engine's own
        dbapi_connection.execute("PRAGMA busy_timeout = 0")
        # Nor does an ack copy the write-ahead log into the database when it grows past 1,000
        # pages (tens of ms, with every other ack queued behind it): the other connections do.
        dbapi_connection.execute("PRAGMA wal_autocheckpoint = 0")

    return twin, True


class _FinishingUnitOfWork:
    """A unit of work that deletes its job in the transaction that commits the command."""

    def __init__(self, inner: Any, finish: Callable[[Any], None]) -> None:
        self._inner = inner
        self._finish = finish

    def __enter__(self) -> Self:
        self._inner.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._inner.__exit__(*exc)

    def commit(self) -> None:
        self._finish(self._inner.session)
        self._inner.commit()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def finishing(uow_factory: UnitOfWorkFactory, finish: Callable[[Any], None]) -> UnitOfWorkFactory:
    """`uow_factory`, whose units of work call `finish(session)` just before they commit."""

    def make(workspace: str) -> UnitOfWork:
        uow: Any = _FinishingUnitOfWork(uow_factory(workspace), finish)
        return uow  # type: ignore[no-any-return]

    return make


Run = Callable[[Job, Callable[[Any], None]], None]
"""Runs one job; calls the given `finish(session)` inside the command's committing transaction."""
Report = Callable[[Exception, dict[str, Any] | None], None]


class JobRunner:
    """Takes jobs one at a time and runs them; as threads beside the app or in a worker process."""

    def __init__(self, queue: JobQueue, run: Run, report: Report, *, poll: float = POLL_SECONDS,
                 prune: Callable[[], Any] | None = None) -> None:  # fmt: skip
        self.queue = queue
        self.run = run
        self.report = report
        self.poll = poll
        self.prune = prune
        """Forgets old claims (of redeliveries and replays): called when idle, every PRUNE_SECONDS."""
        self._pruned_at = time.monotonic()
        self._wake: Any = threading.Event()
        self._stop = threading.Event()
        self._busy = 0
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.observe: Callable[[float], None] = lambda _seconds: None
        """Told how long each finished job took from its ack to its answer (bot.metrics)."""

    def notify(self) -> None:
        """A job was queued in this process: wake a waiting thread instead of letting it poll."""
        self._wake.set()

    def wake_on(self, event: Any) -> None:
        """Wait on `event` (a multiprocessing.Event the serving process sets when it queues a job)
        instead of this runner's own: a worker process then starts a job at once, not at its next
        poll. Workers elsewhere (other machines) still poll."""
        self._wake = event

    def run_one(self) -> bool:
        """Take and run one job; False when there was none."""
        with self._lock:
            self._busy += 1
        try:
            job = self.queue.take()
            if job is None:
                return False
            self._execute(job)
            return True
        finally:
            with self._lock:
                self._busy -= 1

    def _execute(self, job: Job) -> None:
        body = job.payload.get("body")
        if job.attempts > MAX_ATTEMPTS:
            log.error("Slack %s job %d given up after %d attempts", job.kind, job.id, MAX_ATTEMPTS)
            self.report(RuntimeError(f"gave up after {MAX_ATTEMPTS} attempts"), body)
            self.queue.done(job)
            return
        finished = False

        def finish(session: Any) -> None:
            nonlocal finished
            self.queue.done(job, session)
            finished = True  # (if that transaction then fails, the job is deleted below)

        try:
            self.run(job, finish)
            self.observe(time.time() - job.created_at)
            if finished:
                return
        except LeaseLost as e:  # the worker that took it over runs it and answers
            log.warning("%s", e)
            return
        except Exception as e:
            if finished:  # the command is stored: only its answer (or what came after) failed
                self.report(Unanswered(e), body)
                return
            self.report(e, body)  # reported once, not retried: nothing was stored, the person can try again
        self.queue.done(job)

    def work(self, stop: threading.Event | None = None) -> None:
        """Run jobs until `stop` (or this runner's stop) is set."""
        stop = stop or self._stop
        while not stop.is_set():
            try:
                if self.run_one():
                    continue
                self._maybe_prune()
            except Exception as e:  # the database went away: wait and try again
                log.warning("Slack jobs: could not take a job (%s: %s)", type(e).__name__, e)
            self._wake.wait(self.poll)
            self._wake.clear()

    def _maybe_prune(self) -> None:
        with self._lock:
            due = self.prune is not None and time.monotonic() - self._pruned_at >= PRUNE_SECONDS
            if due:
                self._pruned_at = time.monotonic()
        if due and self.prune is not None:
            self.prune()

    def start(self, threads: int = 1) -> None:
        """Run jobs on `threads` daemon threads of this process."""
        for n in range(threads):
            thread = threading.Thread(target=self.work, daemon=True, name=f"slack-jobs-{n}")
            thread.start()
            self._threads.append(thread)

    def settle(self, timeout: float = 30.0) -> None:
        """Wait until no job is queued and none is running (tests, benchmarks, shutdown)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                busy = self._busy
            if not busy and not self.queue.pending():
                return
            self.notify()
            time.sleep(0.01)
        raise TimeoutError(f"Slack jobs still pending after {timeout} s")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(5)
        self._threads.clear()
