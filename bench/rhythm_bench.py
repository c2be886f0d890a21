"""Opening the stand-up for a whole organisation: how long claiming and queueing every prompt takes.

    python bench/rhythm_bench.py                      # SQLite, 1,000 -> 10,000 members
    python bench/rhythm_bench.py --postgres URL       # and PostgreSQL (a scratch schema, dropped after)
    python bench/rhythm_bench.py --per-member         # each member asked at 09:00 in their own zone

Each size is an organisation of teams of 20 members (10,000 members = 500 teams) whose stand-ups
all open at 09:00 UTC. The timed part is one `tick` over that minute: per team, one transaction
that inserts the step's claim row, creates the check-in run and queues one prompt per member in
the outbox (what the scheduler does). Delivery is not timed: it is bound by the chat platform's
rate limits, not by us. Results are printed as a Markdown table for BENCHMARKS.md.

With --per-member (`rhythm set standup --tz member`) each team's members live in Tokyo, Berlin and
New York, so each team has three prompts, one per zone, each its own claimed step: the three
ticks around 09:00 in each zone are timed together.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text  # noqa: E402

from core.model import Person, Team  # noqa: E402
from core.rhythm import Rhythm, RunKind, make_schedule  # noqa: E402
from core.scheduling import tick  # noqa: E402
from storage.engine import make_engine  # noqa: E402
from storage.uow import SqlUnitOfWorkFactory  # noqa: E402
from tests.schemas import drop_schema, scratch_schema  # noqa: E402

TEAM_SIZE = 20
SIZES = (1_000, 2_500, 5_000, 10_000)
OPEN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@dataclass
class Result:
    backend: str
    members: int
    teams: int
    seconds: float
    queued: int

    @property
    def per_member_ms(self) -> float:
        return 1000 * self.seconds / self.members


ZONES = ("Asia/Tokyo", "Europe/Berlin", "America/New_York")
ZONE_OPENS = (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), datetime(2026, 11, 23, 8, 0, tzinfo=UTC),
              datetime(2026, 11, 23, 14, 0, tzinfo=UTC))  # 09:00 in each of ZONES  # fmt: skip


def populate(factory: SqlUnitOfWorkFactory, members: int, per_member: bool = False) -> int:
    teams = members // TEAM_SIZE
    schedule = make_schedule(RunKind.STANDUP, (0, 1, 2, 3, 4), clock(9, 0), per_member=per_member)
    with factory("bench") as uow:
        for i in range(teams):
            people = [f"m{i:04d}x{j:02d}" for j in range(TEAM_SIZE)]
            if per_member:
                for j, handle in enumerate(people):
                    uow.people.save(Person(handle, handle, tz=ZONES[j % len(ZONES)]))
            uow.teams.save(Team(handle=f"team-{i:04d}", name=f"Team {i}", leads=people[:1], members=people,
                                channel=f"team-{i:04d}"))  # fmt: skip
            uow.rhythms.save(Rhythm(team=f"team-{i:04d}", tz="UTC", standup=schedule))
        uow.commit()
    return teams


def measure(backend: str, url: str, members: int, per_member: bool = False) -> Result:
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    try:
        teams = populate(factory, members, per_member)
        with engine.begin() as conn:  # the planner's statistics, as autovacuum keeps them on a live database:
            conn.execute(text("ANALYZE"))  # without them PostgreSQL scans `person` for each step's IN (...)
        opens = ZONE_OPENS if per_member else (OPEN,)
        steps = queued = 0
        started = time.perf_counter()
        for at in opens:
            done = tick(factory, "bench", at - timedelta(minutes=1), at)
            steps, queued = steps + len(done.done), queued + done.queued
        seconds = time.perf_counter() - started
        assert steps == teams * len(opens) and queued == members, (steps, queued)
        return Result(backend, members, teams, seconds, queued)
    finally:
        engine.dispose()


def sqlite_url(folder: Path, members: int) -> str:
    return f"sqlite:///{folder / f'bench-{members}.db'}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--postgres", metavar="URL", default=os.environ.get("FLOTILLA_BENCH_POSTGRES_URL"),
                    help="a PostgreSQL server to measure too (a scratch schema is created and dropped)")  # fmt: skip
    ap.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    ap.add_argument("--repeat", type=int, default=3, help="runs per size; the median is reported")
    ap.add_argument("--per-member", action="store_true", help="stand-ups asked in each member's own zone")
    args = ap.parse_args()
    rows: list[Result] = []
    backends = ["sqlite"] + (["postgresql"] if args.postgres else [])
    for backend in backends:
        for members in args.sizes:
            runs = []
            for _ in range(args.repeat):
                if backend == "sqlite":
                    with tempfile.TemporaryDirectory() as folder:
                        runs.append(measure(backend, sqlite_url(Path(folder), members), members, args.per_member))
                else:
                    url, schema = scratch_schema(args.postgres, "bench")
                    try:
                        runs.append(measure(backend, url, members, args.per_member))
                    finally:
                        drop_schema(args.postgres, schema)
            best = sorted(runs, key=lambda r: r.seconds)[len(runs) // 2]
            best.seconds = statistics.median(r.seconds for r in runs)
            rows.append(best)
            print(f"{backend:10} {members:>6} members {best.teams:>4} teams: {best.seconds:6.2f} s "
                  f"({best.per_member_ms:.3f} ms per member)", file=sys.stderr, flush=True)  # fmt: skip
    print("| database | members | teams | claim + enqueue all prompts | per member | messages queued |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r.backend} | {r.members:,} | {r.teams:,} | {r.seconds:.2f} s | {r.per_member_ms:.2f} ms | "
              f"{r.queued:,} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
