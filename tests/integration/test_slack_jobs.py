"""The Slack job queue (bot.slack.jobs) on SQLite and PostgreSQL: what an ack writes is kept until a
worker has run it; a worker that dies mid-job leaves it to another; a command that committed is
never run again; many acks at once are written together, each once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from bot.slack import jobs as jobs_module
from bot.slack.jobs import MAX_ATTEMPTS, Job, JobQueue, JobRunner, LeaseLost, finishing
from bot.slack.store import SlackStore
from core.model import Person
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory


@pytest.fixture
def queue(engine: Engine) -> JobQueue:
    claims = SlackStore(engine)
    claims.create_tables()
    q = JobQueue(engine, claims)
    q.create_tables()
    return q


def lease_runs_out(queue: JobQueue, job: Job) -> None:
    """As if LEASE_SECONDS had passed since the job was taken (its worker died, or is slow)."""
    with queue.engine.begin() as conn:
        conn.execute(update(queue.table).where(queue.table.c.id == job.id).values(leased_until=0.0))


def test_a_job_is_taken_once_and_again_only_when_its_lease_runs_out(queue: JobQueue) -> None:
    assert queue.put("command", "T1", {"body": {"text": "me"}})
    taken = queue.take()
    assert taken is not None and taken.payload == {"body": {"text": "me"}} and taken.attempts == 1
    assert queue.take() is None  # held: no other worker gets it
    lease_runs_out(queue, taken)
    again = queue.take()
    assert again is not None and again.id == taken.id and again.attempts == 2
    queue.done(again)
    assert queue.take() is None and queue.pending() == 0


def test_jobs_are_taken_oldest_first_and_ids_are_never_reused(queue: JobQueue) -> None:
    for text in ("one", "two"):
        queue.put("command", "T1", {"text": text})
    first = queue.take()
    assert first is not None and first.payload == {"text": "one"}
    queue.done(first)
    queue.put("command", "T1", {"text": "three"})  # after a delete, on SQLite too: a new id
    second, third = queue.take(), queue.take()
    assert second is not None and third is not None
    assert [second.payload["text"], third.payload["text"]] == ["two", "three"]
    assert len({first.id, second.id, third.id}) == 3


def test_a_command_that_commits_deletes_its_job_so_it_never_runs_twice(
    queue: JobQueue, uow_factory: SqlUnitOfWorkFactory
) -> None:
    queue.put("command", "T1", {"text": "team create"})
    job = queue.take()
    assert job is not None
    factory = finishing(uow_factory, lambda session: queue.done(job, session))
    with pytest.raises(RuntimeError), factory("T1") as uow:  # fails before its commit: job kept
        uow.people.add_if_absent(Person(handle="ada", name="Ada"))
        raise RuntimeError("the worker's command failed")
    assert queue.pending() == 1
    with factory("T1") as uow:
        uow.people.add_if_absent(Person(handle="ada", name="Ada"))
        uow.commit()
    # the worker dies right after the commit, before it says the job is done: nothing to run again
    assert queue.pending() == 0
    with uow_factory("T1") as uow:
        assert [p.handle for p in uow.people.list()] == ["ada"]


def test_a_run_that_outlasts_its_lease_cannot_commit_and_the_worker_that_took_over_runs_it(
    queue: JobQueue, uow_factory: SqlUnitOfWorkFactory
) -> None:
    queue.put("command", "T1", {"text": "team create"})
    slow = queue.take()
    assert slow is not None
    lease_runs_out(queue, slow)
    took_over = queue.take()  # another worker, once the lease ended
    assert took_over is not None and took_over.id == slow.id and took_over.lease != slow.lease

    late = finishing(uow_factory, lambda session: queue.done(slow, session))
    with pytest.raises(LeaseLost), late("T1") as uow:
        uow.people.add_if_absent(Person(handle="ada", name="Ada"))
        uow.commit()
    with uow_factory("T1") as uow:
        assert uow.people.list() == []  # the late run's command rolled back
    queue.done(slow)  # nor can it delete the job the other worker holds
    assert queue.pending() == 1

    with finishing(uow_factory, lambda session: queue.done(took_over, session))("T1") as uow:
        uow.people.add_if_absent(Person(handle="ada", name="Ada"))
        uow.commit()
    assert queue.pending() == 0


def test_many_acks_at_once_are_each_written_once(queue: JobQueue) -> None:
    with ThreadPoolExecutor(max_workers=40) as pool:
        assert all(pool.map(lambda n: queue.put("command", "T1", {"n": n}), range(200)))
    seen = []
    while (job := queue.take()) is not None:
        seen.append(job.payload["n"])
    assert sorted(seen) == list(range(200))


def test_a_claimed_job_is_queued_once_per_key(queue: JobQueue) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    assert queue.put("mention", "T1", {"n": 1}, claim="event:T1:Ev1", claimed_at=now)
    assert not queue.put("mention", "T1", {"n": 2}, claim="event:T1:Ev1", claimed_at=now)  # redelivered
    assert queue.put("mention", "T1", {"n": 3}, claim="event:T1:Ev2", claimed_at=now)
    assert queue.pending() == 2


class HandClock:
    """The queue's monotonic clock, moved by the test: an ack's patience runs out when the test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def waiting(queue: JobQueue, n: int) -> None:
    """Until `n` acks are queued behind the one writing (each has read the clock for its deadline)."""
    for _ in range(5000):
        with queue._waiting_lock:
            if len(queue._waiting) >= n:
                return
        time.sleep(0.001)
    raise AssertionError(f"{n} acks never queued up")


def test_a_failed_write_fails_every_ack_that_waited_on_it(queue: JobQueue, monkeypatch: pytest.MonkeyPatch) -> None:
    """Group commit: the acks whose jobs went into a failed transaction must not answer Slack 200."""
    gate, entered = threading.Event(), threading.Event()
    real = queue._put_all

    def slow_then_fail(rows: list[Any]) -> set[int]:
        if not gate.is_set():  # the first writer: hold the lock while the others queue up
            entered.set()
            gate.wait(5)
            return real(rows)
        raise RuntimeError(f"disk full ({len(rows)} jobs)")

    monkeypatch.setattr(queue, "_put_all", slow_then_fail)
    with ThreadPoolExecutor(max_workers=6) as pool:
        first = pool.submit(queue.put, "command", "T1", {"n": 0})
        assert entered.wait(5)
        others = [pool.submit(queue.put, "command", "T1", {"n": n}) for n in range(1, 6)]
        waiting(queue, 5)
        gate.set()
        assert first.result(5)
        errors = [f.exception(5) for f in others]
    assert all(isinstance(e, RuntimeError) for e in errors)
    assert queue.pending() == 1


def test_an_ack_that_waited_too_long_fails_and_its_job_is_not_written(
    queue: JobQueue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack shows a timeout after 3 s: a job written for an ack later than that would run although
    the person saw the command fail, and typed it again."""
    queue.clock = clock = HandClock()
    gate, entered = threading.Event(), threading.Event()
    real = queue._put_all

    def slow(rows: list[Any]) -> set[int]:
        if not entered.is_set():
            entered.set()
            gate.wait(5)
        return real(rows)

    monkeypatch.setattr(queue, "_put_all", slow)
    with ThreadPoolExecutor(max_workers=4) as pool:
        first = pool.submit(queue.put, "command", "T1", {"n": 0})
        assert entered.wait(5)
        late = [pool.submit(queue.put, "command", "T1", {"n": n}) for n in (1, 2)]
        waiting(queue, 2)
        clock.now += jobs_module.PUT_PATIENCE_SECONDS + 0.1  # past their patience, still behind the first writer
        gate.set()
        assert first.result(5)
        assert all(isinstance(f.exception(5), TimeoutError) for f in late)
    assert queue.pending() == 1


def test_the_runner_reports_a_failure_once_and_gives_up_on_a_job_that_kept_killing_workers(queue: JobQueue) -> None:
    reported: list[tuple[str, Any]] = []
    ran: list[int] = []

    def run(job: Job, finish: Any) -> None:
        ran.append(job.id)
        raise ValueError("boom")

    runner = JobRunner(queue, run, lambda e, body: reported.append((str(e), body)))
    queue.put("command", "T1", {"body": {"response_url": "http://x/1"}})
    assert runner.run_one() and not runner.run_one()
    assert reported == [("boom", {"response_url": "http://x/1"})] and queue.pending() == 0  # not retried

    queue.put("command", "T1", {"body": {"response_url": "http://x/2"}})
    for _ in range(MAX_ATTEMPTS):  # each time, the worker that took it died
        job = queue.take()
        assert job is not None
        lease_runs_out(queue, job)
    ran.clear()
    assert runner.run_one()
    assert ran == [] and reported[-1] == (f"gave up after {MAX_ATTEMPTS} attempts", {"response_url": "http://x/2"})
    assert queue.pending() == 0


def locked_queue(tmp_path: Path) -> tuple[Engine, JobQueue, list[tuple[float, int]]]:
    """A SQLite queue whose write attempts are kept: (the clock, how many jobs) of each."""
    engine = make_engine(f"sqlite:///{tmp_path / 'jobs.db'}")
    queue = JobQueue(engine, clock=HandClock())
    queue.create_tables()
    tries: list[tuple[float, int]] = []
    real = queue._put_all

    def counted(batch: list[Any]) -> set[int]:
        tries.append((queue.clock(), len(batch)))
        return real(batch)

    queue._put_all = counted  # type: ignore[method-assign]
    return engine, queue, tries


def hold_write_lock(engine: Engine) -> tuple[threading.Thread, threading.Event]:
    """A worker's long command: BEGIN IMMEDIATE, the write lock, until the event is set."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.begin():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    return holder, release


def until(condition: Any) -> None:
    for _ in range(5000):
        if condition():
            return
        time.sleep(0.001)
    raise AssertionError("never happened")


def test_on_sqlite_an_ack_waits_for_the_write_lock_without_sqlites_growing_sleeps(tmp_path: Path) -> None:
    """(SQLite only: PostgreSQL inserts don't wait on other transactions.)"""
    engine, queue, tries = locked_queue(tmp_path)
    with queue._put_engine.connect() as conn:  # the ack's own retry loop waits, not SQLite's busy handler
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 0

    holder, release = hold_write_lock(engine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        put = pool.submit(queue.put, "command", "T1", {"n": 1})
        until(lambda: len(tries) >= 3)  # it found the lock taken, and tried again, and again
        assert not put.done()
        release.set()
        assert put.result(5)  # written once the lock is free
    holder.join()

    tries.clear()
    holder, release = hold_write_lock(engine)
    with ThreadPoolExecutor(max_workers=1) as pool:
        put = pool.submit(queue.put, "command", "T1", {"n": 2})
        until(lambda: len(tries) >= 2)
        queue.clock.now += jobs_module.PUT_PATIENCE_SECONDS  # type: ignore[attr-defined]
        with pytest.raises(TimeoutError, match="locked"):  # Slack gets no ack rather than a lost command
            put.result(5)
    release.set()
    holder.join()
    assert queue.pending() == 1
    queue.close()


def test_on_sqlite_acks_still_in_time_keep_trying_when_an_older_one_gives_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Acks written together: the one whose time is up fails alone; the newer one is written once
    the lock is free, within its own patience."""
    monkeypatch.setattr(jobs_module, "PUT_PATIENCE_SECONDS", 1.0)
    engine, queue, tries = locked_queue(tmp_path)
    clock = queue.clock
    assert isinstance(clock, HandClock)
    holder, release = hold_write_lock(engine)
    with ThreadPoolExecutor(max_workers=3) as pool:
        first = pool.submit(queue.put, "command", "T1", {"n": "first"})  # writes, retrying until 1.0
        until(lambda: len(tries) >= 1)
        clock.now = 0.3
        old = pool.submit(queue.put, "command", "T1", {"n": "old"})  # waits; patience ends at 1.3
        waiting(queue, 1)
        clock.now = 0.9
        new = pool.submit(queue.put, "command", "T1", {"n": "new"})  # waits; patience ends at 1.9
        waiting(queue, 2)
        clock.now = 1.45  # after the old ack's patience, well within the new one's
        assert isinstance(first.exception(5), TimeoutError)
        until(lambda: tries[-1] == (1.45, 1))  # old and new were one batch: the new one tries alone
        release.set()
        assert isinstance(old.exception(5), TimeoutError)
        assert new.result(5) is True  # not failed with the old one
    holder.join()
    job = queue.take()
    assert job is not None and job.payload == {"n": "new"} and queue.take() is None
    queue.close()


def test_replays_written_together_queue_one_job(queue: JobQueue) -> None:
    """The same signed request sent many times at once: the acks share a transaction, and the claim
    (insert-or-ignore) lets exactly one of them queue its job; the others learn they were replays."""
    from datetime import UTC, datetime

    now = datetime(2026, 11, 23, 9, tzinfo=UTC)
    with ThreadPoolExecutor(max_workers=12) as pool:
        queued = list(pool.map(lambda n: queue.put("command", "T1", {"n": n}, claim="signed:v0=abc", claimed_at=now),
                               range(12)))  # fmt: skip
    assert queued.count(True) == 1
    assert queue.pending() == 1
    assert queue.put("command", "T1", {"n": 99})  # an unclaimed job still goes in


def test_warming_up_leaves_nothing_behind(engine: Engine) -> None:
    """A worker runs read commands and a refusal through the core before it says it is ready; the
    workspace it uses, the person and the platform it would record are all rolled back."""
    from datetime import UTC, datetime

    from bot.slack.adapter import SlackAdapter
    from bot.slack.app import warm_up
    from core.fakes import FixedClock
    from storage.uow import workspaces

    factory = SqlUnitOfWorkFactory(engine)
    adapter = SlackAdapter(uow_factory=factory, clock=FixedClock(datetime(2026, 11, 23, 9, tzinfo=UTC)),
                           claims=SlackStore(engine))  # fmt: skip
    warm_up(adapter, engine)
    warm_up(adapter, engine)
    assert workspaces(engine) == []
