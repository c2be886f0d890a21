"""Benchmark of `risks --all` and the leader briefing: generated organisations of 100, 1,000 and 10,000 people.

Each size is loaded (bulk inserts, one transaction) into SQLite (a file) and, when a server is
reachable, PostgreSQL; then `risks --all` runs end to end through the console (parse, snapshot
load, assess, render) and the engine alone (`core.risk_engine.assess` on a loaded snapshot).
Reported: the median of several runs, peak memory (tracemalloc, a separate run), and the growth
ratio from one size to the next (10x the data each step). One risk in twenty is then acknowledged
(`risks --all` is measured again with them), and the organisation's weekly briefing is measured
twice: `briefing --team org` end to end, and the scheduler's tick that sends it to the admins.

    python bench/risks_bench.py                    # SQLite, and PostgreSQL if reachable
    python bench/risks_bench.py --sizes 100 1000   # smaller
    FLOTILLA_TEST_POSTGRES_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test python bench/risks_bench.py
"""

from __future__ import annotations

import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert, select, text
from sqlalchemy.engine import make_url

from bot.bootstrap import build, settle_heap
from bot.console import Console
from bot.llm import data_message
from core.acks import Ack
from core.briefing import ORG, BriefingSchedule
from core.fakes import FixedClock
from core.risk_engine import assess
from core.risks import Thresholds
from core.scheduling import tick
from core.snapshot import risk_snapshot
from core.summary import EXTRACT_LIMIT, build_extract
from storage.tables import (
    BlockerRow,
    DependencyRow,
    EventRow,
    PersonRow,
    PriorityRow,
    RiskAckRow,
    TeamMemberRow,
    TeamRow,
    WorkspaceRow,
)

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WS = "bench"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
CHARS_PER_TOKEN = 4
"""OpenAI's rule of thumb for English; no tokenizer is installed (tiktoken fetches its tables online)."""


@dataclass
class Org:
    people: list[dict[str, Any]]
    teams: list[dict[str, Any]]
    members: list[dict[str, Any]]
    priorities: list[dict[str, Any]]
    dependencies: list[dict[str, Any]]
    blockers: list[dict[str, Any]]
    events: list[dict[str, Any]]

    def counts(self) -> str:
        return (
            f"{len(self.people)} people, {len(self.teams)} teams, {len(self.priorities)} priorities, "
            f"{len(self.dependencies)} dependencies, {len(self.blockers)} blockers, {len(self.events)} events"
        )


def generate(people: int, seed: int = 7, stressed: bool = False) -> Org:
    """An organisation of `people`: teams of 10, half a priority and two dependencies per person.

    By default the states look like a working organisation's history: most dependencies delivered,
    most blockers resolved, due dates mostly consistent down the alignment chain. `stressed` puts
    far more in trouble (a fifth of requests unanswered, a tenth blocked, 60% of blockers open, due
    dates at random): a worst case with about one risk per two records.
    """
    rng = random.Random(seed)
    today = NOW.date()

    def moment(lo: int, hi: int) -> datetime:
        return NOW + timedelta(days=rng.randint(lo, hi), hours=rng.randint(-8, 8))

    def day(lo: int, hi: int) -> date:
        return today + timedelta(days=rng.randint(lo, hi))

    handles = [f"p{i}" for i in range(people)]
    person_rows = [{"handle": h, "name": f"Person {i}", "tz": "UTC", "admin": i == 0} for i, h in enumerate(handles)]
    n_teams = max(people // 10, 2)
    n_programs = max(n_teams // 10, 1)
    teams = [f"t{i}" for i in range(n_teams)]
    team_rows, member_rows = [], []
    for i, t in enumerate(teams):
        parent = None if i < n_programs else teams[rng.randrange(n_programs)]
        team_rows.append({"handle": t, "name": f"Team {i}", "parent": parent, "channel": t})
        crew = handles[i * 10 : i * 10 + 10] or [handles[i % people]]
        for pos, h in enumerate(crew):
            lead = pos < (2 if pos == 0 or rng.random() < 0.3 else 1)
            member_rows.append({"team": t, "person": h, "is_member": True, "is_lead": lead, "position": pos,
                                "lead_position": pos if lead else None})  # fmt: skip
    n_prios = people // 2
    n_org = max(n_prios // 20, 1)
    prios: list[dict[str, Any]] = []
    by_team: dict[str | None, list[int]] = {}
    parent_of = {r["handle"]: r["parent"] for r in team_rows}
    for n in range(1, n_prios + 1):
        team = None if n <= n_org else teams[rng.randrange(n_teams)]
        parent: int | None = None
        if team is not None and rng.random() < 0.9:
            above = by_team.get(parent_of[team]) if parent_of[team] else None
            parent = rng.choice(above) if above and rng.random() < 0.5 else rng.randint(1, n_org)
        roll = rng.random()
        if stressed:
            status = "at-risk" if roll < 0.1 else "off-track" if roll < 0.15 else "done" if roll < 0.25 else "on-track"
        else:
            status = "at-risk" if roll < 0.08 else "off-track" if roll < 0.1 else "done" if roll < 0.3 else "on-track"
        due = day(20, 200)
        if not stressed and parent is not None and rng.random() < 0.95:
            due = max(prios[parent - 1]["due"] - timedelta(days=rng.randint(0, 60)), today + timedelta(days=10))
        elif not stressed and team is None:
            due = day(150, 300)
        prios.append({
            "number": n, "title": f"Priority {n}", "team": team, "created_at": moment(-120, -60),
            "updated_at": moment(-20, 0), "outcome": None, "owner": rng.choice(handles) if rng.random() < 0.9 else None,
            "parent": parent, "rank": len(by_team.get(team, [])) + 1, "due": due, "status": status,
            "confidence": rng.randint(30, 95), "progress": rng.randint(0, 90), "closed_reason": None,
        })  # fmt: skip
        by_team.setdefault(team, []).append(n)
    deps = []
    for n in range(1, people * 2 + 1):
        frm, to = rng.sample(teams, 2)
        roll = rng.random()
        mine = by_team.get(frm)
        served = rng.choice(mine) if mine and rng.random() < 0.8 else None
        if stressed:
            state = ("requested" if roll < 0.2 else "accepted" if roll < 0.7 else "blocked" if roll < 0.8
                     else "delivered" if roll < 0.95 else "declined")  # fmt: skip
            needed, created = day(-10, 60), moment(-40, -1)
            committed = needed + timedelta(days=rng.randint(-5, 10)) if state != "requested" else None
        else:
            state = ("requested" if roll < 0.04 else "accepted" if roll < 0.26 else "blocked" if roll < 0.28
                     else "delivered" if roll < 0.93 else "declined" if roll < 0.95 else "cancelled")  # fmt: skip
            closed = state in ("delivered", "declined", "cancelled")
            created = moment(-120, -60) if closed else moment(-3, -1) if state == "requested" else moment(-40, -4)
            due = prios[served - 1]["due"] if served else today + timedelta(days=90)
            needed = (
                day(-80, -2) if closed else max(min(due - timedelta(days=rng.randint(5, 40)), day(3, 70)), day(2, 2))
            )
            late = rng.randint(1, 10) if rng.random() < 0.1 else -rng.randint(0, 3)
            committed = needed + timedelta(days=late) if state in ("accepted", "blocked", "delivered") else None
        if state == "declined":
            committed = None
        deps.append({
            "number": n, "from_team": frm, "to_team": to, "what": f"Thing {n}", "needed_by": needed,
            "created_at": created, "updated_at": created + timedelta(days=1), "state": state, "committed": committed,
            "for_priority": served,
            "blocked_reason": "Waiting" if state == "blocked" else None,
            "blocked_from": "accepted" if state == "blocked" else None, "declined_reason": None,
            "requester_owner": handles[rng.randrange(people)], "provider_owner": handles[rng.randrange(people)],
            "answered_at": created + timedelta(days=1) if state != "requested" else None,
            "delivered_at": datetime.combine(committed + timedelta(days=rng.randint(-3, 3)), datetime.min.time(), UTC)
            if state == "delivered" and committed else None,
        })  # fmt: skip
    blockers = []
    for n in range(1, people + 1):
        roll = rng.random()
        on = (f"D-{rng.randint(1, len(deps))}" if roll < 0.3 else f"P-{rng.randint(1, n_prios)}" if roll < 0.4
              else teams[rng.randrange(n_teams)] if roll < 0.6 else None)  # fmt: skip
        resolved = rng.random() < (0.4 if stressed else 0.85)
        blockers.append({
            "number": n, "text": f"Blocker {n}", "raised_by": handles[rng.randrange(people)],
            "raised_at": moment(-30, 0) if stressed or resolved else moment(-8, 0),
            "team": teams[rng.randrange(n_teams)], "on": on,
            "state": "resolved" if resolved else "open", "resolved_by": handles[0] if resolved else None,
            "resolved_at": NOW if resolved else None,
        })  # fmt: skip
    events = []
    for p in prios:
        if rng.random() < 0.4:
            a, b, c = sorted((rng.randint(20, 95) if stressed else rng.randint(60, 80) for _ in range(3)), reverse=True)
            for when, before, after in ((moment(-20, -10), a, b), (moment(-9, -1), b, c)):
                events.append({"at": when, "actor": "p0", "kind": "priority.updated", "subject": f"P-{p['number']}",
                               "data": {"before": {"confidence": before}, "after": {"confidence": after}}})  # fmt: skip
    return Org(person_rows, team_rows, member_rows, prios, deps, blockers, events)


def load(url: str, org: Org) -> Any:
    """A fresh workspace holding `org`, written in one transaction of bulk inserts."""
    app = build(database_url=url)
    with app.uow_factory(WS) as uow:
        uow.commit()
    with app.engine.begin() as conn:
        ws = conn.execute(select(WorkspaceRow.id).where(WorkspaceRow.name == WS)).scalar_one()  # type: ignore[arg-type]

        def put(row_class: Any, rows: list[dict[str, Any]]) -> None:
            for i in range(0, len(rows), 5000):
                conn.execute(insert(row_class), [{"workspace_id": ws, **r} for r in rows[i : i + 5000]])

        put(PersonRow, org.people)
        put(TeamRow, org.teams)
        put(TeamMemberRow, org.members)
        put(PriorityRow, org.priorities)
        put(DependencyRow, org.dependencies)
        put(BlockerRow, org.blockers)
        put(EventRow, org.events)
    return app


def median_time(fn: Callable[[], object], runs: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def peak_mb(fn: Callable[[], object]) -> float:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


@dataclass
class Result:
    backend: str
    people: int
    load_s: float
    e2e_s: float
    snapshot_s: float
    engine_s: float
    e2e_mb: float
    engine_mb: float
    risks: int
    extract_chars: int
    acks: int = 0
    acked_e2e_s: float = 0.0
    briefing_s: float = 0.0
    briefing_tick_s: float = 0.0


def measure(backend: str, url: str, people: int, runs: int, stressed: bool = False) -> Result:
    org = generate(people, stressed=stressed)
    start = time.perf_counter()
    app = load(url, org)
    loaded = time.perf_counter() - start
    del org  # a running bot holds no generator output: don't make the collector walk it
    try:
        settle_heap()  # as every `flotilla` command and server does once its app is built
        out = io.StringIO()
        console = Console(app.uow_factory, FixedClock(NOW), "p0", workspace=WS, out=out)

        def e2e() -> None:
            out.seek(0)
            out.truncate()
            outcome = console.command("risks --all")
            assert not outcome.refused, out.getvalue()

        def snap() -> Any:
            with app.uow_factory(WS) as uow:
                return risk_snapshot(uow, NOW)

        # End to end first, while nothing else is held, as in a running bot.
        e2e_s, snapshot_s, e2e_mb = median_time(e2e, runs), median_time(snap, runs), peak_mb(e2e)
        snapshot = snap()
        found = assess(snapshot, NOW, Thresholds())
        # What `summary` hands the LLM, exactly as sent (the user message around the extract).
        extract = build_extract(snapshot, found, EXTRACT_LIMIT, today=NOW.date())
        sent = data_message(extract, "0" * 32)
        result = Result(
            backend, people, loaded, e2e_s, snapshot_s, median_time(lambda: assess(snapshot, NOW, Thresholds()), runs),
            e2e_mb, peak_mb(lambda: assess(snapshot, NOW, Thresholds())), len(found), len(sent),
        )  # fmt: skip
        result.acks = acknowledge(app, found[::20])
        result.acked_e2e_s = median_time(e2e, runs)

        def briefing() -> None:
            out.seek(0)
            out.truncate()
            outcome = console.command("briefing --team org")
            assert not outcome.refused and "Leader briefing" in out.getvalue(), out.getvalue()

        result.briefing_s = median_time(briefing, runs)
        due = NOW + timedelta(minutes=30)  # within the hour: the tick climbs no escalation ladder meanwhile
        with app.uow_factory(WS) as uow:
            uow.briefings.save(BriefingSchedule(ORG, due.weekday(), due.time(), "UTC"))
            uow.commit()
        weeks = iter(range(runs + 1))

        def scheduled() -> None:
            """The scheduler's tick over the minute the org's briefing falls due (a new week each run)."""
            at = due + timedelta(days=7 * next(weeks))
            done = tick(app.uow_factory, WS, at - timedelta(minutes=1), at)
            assert done.briefed == 1, done

        result.briefing_tick_s = median_time(scheduled, runs)
        return result
    finally:
        app.close()


def acknowledge(app: Any, risks: list[Any]) -> int:
    """Acknowledge these risks (each of one kind, until next month), as `risks ack` would store them."""
    with app.engine.begin() as conn:
        ws = conn.execute(select(WorkspaceRow.id).where(WorkspaceRow.name == WS)).scalar_one()  # type: ignore[arg-type]
        rows = {}
        for r in risks:
            a = Ack(
                r.subject, r.kind, "p0", NOW.date() + timedelta(days=30), "We are on it", NOW, {r.kind.value: r.score}
            )
            rows[a.key] = {"workspace_id": ws, "subject": a.subject, "kind": a.key[1], "by": a.by, "until": a.until,
                           "note": a.note, "at": a.at, "scores": a.scores}  # fmt: skip
        if rows:
            conn.execute(insert(RiskAckRow), list(rows.values()))
    return len(rows)


def postgres_database(base: str) -> str | None:
    """A fresh `flotilla_bench` database on the server of `base`, or None when unreachable."""
    url = make_url(base)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("DROP DATABASE IF EXISTS flotilla_bench WITH (FORCE)"))
            conn.execute(text("CREATE DATABASE flotilla_bench"))
    except Exception as e:  # noqa: BLE001 - a benchmark: say why and carry on with SQLite
        print(f"PostgreSQL skipped: {type(e).__name__}: {str(e).splitlines()[0]}", file=sys.stderr)
        return None
    finally:
        admin.dispose()
    return url.set(database="flotilla_bench").render_as_string(hide_password=False)


def table(results: list[Result]) -> str:
    lines = [
        "| backend | people | risks found | `risks --all` end to end | snapshot load | engine alone | "
        "peak memory end to end | peak memory engine | growth (end to end / engine) | bulk load | "
        "summary extract sent to the LLM | acknowledged | `risks --all` with them | `briefing --team org` | "
        "briefing sent by the scheduler |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    previous: dict[str, Result] = {}
    for r in results:
        before = previous.get(r.backend)
        growth = f"{r.e2e_s / before.e2e_s:.1f}x / {r.engine_s / before.engine_s:.1f}x" if before else "—"
        lines.append(
            f"| {r.backend} | {r.people:,} | {r.risks:,} | {r.e2e_s * 1000:,.0f} ms | {r.snapshot_s * 1000:,.0f} ms | "
            f"{r.engine_s * 1000:,.0f} ms | {r.e2e_mb:,.1f} MB | {r.engine_mb:,.1f} MB | {growth} | {r.load_s:.1f} s | "
            f"{r.extract_chars:,} chars, ~{round(r.extract_chars / CHARS_PER_TOKEN):,} tokens | {r.acks:,} | "
            f"{r.acked_e2e_s * 1000:,.0f} ms | {r.briefing_s * 1000:,.0f} ms | {r.briefing_tick_s * 1000:,.0f} ms |"
        )
        previous[r.backend] = r
    return "\n".join(lines)


def machine_speed() -> float:
    """Seconds for 10 million additions in a Python loop: this shared machine's speed varies by up
    to 2x from hour to hour, so results are reported next to it."""
    start = time.perf_counter()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10_000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--stressed", action="store_true", help="far more in trouble: a worst case")
    args = parser.parse_args(argv)
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        for people in args.sizes:
            url = f"sqlite:///{Path(tmp) / f'bench-{people}.db'}"
            results.append(measure("SQLite", url, people, args.runs, args.stressed))
            print(f"SQLite {people}: {generate(people).counts()}: {results[-1]}", file=sys.stderr)
    if not args.no_postgres:
        for people in args.sizes:
            pg = postgres_database(os.environ.get("FLOTILLA_TEST_POSTGRES_URL", DEFAULT_PG))
            if pg is None:
                break
            results.append(measure("PostgreSQL", pg, people, args.runs, args.stressed))
            print(f"PostgreSQL {people}: {results[-1]}", file=sys.stderr)
    print(table(results))
    print(f"\nMachine speed (10M Python additions): {machine_speed():.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
