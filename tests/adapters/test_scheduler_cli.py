"""`flotilla scheduler`: real processes on one SQLite file; a restart never repeats a step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.bootstrap import build
from bot.clock import SystemClock
from bot.scheduler import RhythmScheduler
from tests.adapters.test_cli import flotilla

SETUP = "\n".join([
    'team create payments "Payments"', "team add payments @bob --lead", "team add payments @carol",
    "@bob: rhythm set standup --days mon-fri --at 09:30 --tz Europe/Berlin --digest 11:00",
])  # fmt: skip


def test_scheduler_once_prints_each_message_once_across_restarts(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'rhythm.db'}"
    made = flotilla("console", "--as", "ada", "--clock", "fake", "--now", "2026-11-23T07:00Z", stdin=SETUP, db=db)
    assert made.returncode == 0 and "Usage" not in made.stdout, made.stdout
    first = flotilla("scheduler", "--once", "--now", "2026-11-23T08:31Z", db=db)
    assert first.returncode == 0, first.stderr
    assert first.stdout.count("[to @") == 2 and "[to @bob] Stand-up for payments, Mon 2026-11-23" in first.stdout
    again = flotilla("scheduler", "--once", "--now", "2026-11-23T08:32Z", db=db)
    assert again.returncode == 0 and again.stdout == ""  # the restart finds the prompt claimed
    late = flotilla("scheduler", "--once", "--now", "2026-11-23T13:00Z", "--grace", "30", db=db)
    assert "[#payments]" not in late.stdout  # the 11:00 digest is two hours old: skipped, and logged
    assert "older than the 0:30:00 grace window: skipped" in late.stderr


def test_the_apscheduler_job_is_configured_on_purpose(tmp_path: Path) -> None:
    app = build(database_url=f"sqlite:///{tmp_path / 'x.db'}")
    try:
        rhythm = RhythmScheduler(app.uow_factory, app.engine, SystemClock(), None,
                                 grace=timedelta(minutes=10), interval=timedelta(seconds=15))  # fmt: skip
        scheduler = rhythm.build(blocking=False)
        (job,) = scheduler.get_jobs()  # type: ignore[attr-defined]
        assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 600
        assert job.trigger.interval == timedelta(seconds=15)
        now = datetime(2026, 11, 23, 9, tzinfo=UTC)
        assert rhythm.run_once(now) == {} and rhythm.last == {}  # no workspace yet: nothing to do
    finally:
        app.close()
