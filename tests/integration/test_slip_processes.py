"""Three scheduler processes on one PostgreSQL database over a simulated week of slips, one killed
midway: every slip alert is queued and sent exactly once per person and change, none for a change
undone before the tick, and a person away gets theirs when back (core.slips)."""

from __future__ import annotations

import multiprocessing
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from bot.grammar import ConsoleMentions, parse
from core.context import Context, PersonInfo
from core.service import execute
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.rhythm_workers import slip_week

pytestmark = pytest.mark.postgres

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday
END = START + timedelta(days=7, hours=15)
TEAMS = 10
BLOCKED = (0, 3, 6, 9)
UNDONE = 4  # blocked, then unblocked before any tick: nothing for it; overdue later on
REPLANNED = 1  # re-planned past the week: alerted as re-planned, never overdue within it
AWAY = 2  # o2 is away when D-3 becomes overdue: told the day after they are back


def say(factory: SqlUnitOfWorkFactory, who: str, line: str) -> None:
    parsed = parse(line, ConsoleMentions())
    assert parsed.command is not None, line
    people = tuple(PersonInfo(w[1:], w[1:]) for w in line.split() if w.startswith("@"))
    execute(factory, "acme", Context(actor=PersonInfo(who, who), now=START, people=people), parsed.command)


def needed_by(i: int) -> datetime:
    return START + timedelta(days=i % 6 + 1)


def week(factory: SqlUnitOfWorkFactory) -> None:
    say(factory, "ceo", 'team create prov "Provider"')
    say(factory, "ceo", "team add prov @pv --lead")
    say(factory, "ceo", 'priority add "Grow" --team org --owner @ceo --due +4w')
    for i in range(TEAMS):
        say(factory, "ceo", f't{i} "Team {i}"'.join(["team create ", ""]))
        say(factory, "ceo", f"team add t{i} @o{i} --lead")
        say(factory, f"o{i}", f'priority add "Goal {i}" --team t{i} --owner @o{i} --parent P-1 --due +3w')
        say(factory, f"o{i}", f'dep request prov "Thing {i}" --by {needed_by(i).date()} --for P-{i + 2}')
        say(factory, "pv", f"dep accept D-{i + 1}")
    for i in BLOCKED:
        say(factory, "pv", f'dep block D-{i + 1} "stuck"')
    say(factory, "pv", f'dep block D-{UNDONE + 1} "briefly"')
    say(factory, "pv", f"dep unblock D-{UNDONE + 1}")
    say(factory, "pv", f'dep commit D-{REPLANNED + 1} {(START + timedelta(days=9)).date()} "vendor"')
    days = (needed_by(AWAY) + timedelta(days=1)).date(), (needed_by(AWAY) + timedelta(days=2)).date()
    say(factory, f"o{AWAY}", f"away {days[0]} {days[1]}")


def expected() -> set[tuple[str, str, str]]:
    """(dependency, kind, person) of every alert the week must send."""
    out: set[tuple[str, str, str]] = set()
    for i in range(TEAMS):
        kind = "blocked" if i in BLOCKED else "replanned" if i == REPLANNED else "overdue"
        out.add((f"D-{i + 1}", kind, "ceo"))
        if kind != "replanned":  # o1 asked for D-2: the re-plan itself tells them, once
            out.add((f"D-{i + 1}", kind, f"o{i}"))
    return out


def parts(key: str) -> tuple[str, str, str]:
    _, dep, rest = key.split(":", 2)
    change, person = rest.rsplit(":@", 1)
    return dep, change.split(":")[0], person


def test_three_schedulers_send_every_slip_alert_once_even_when_one_is_killed(postgres_database: str) -> None:
    from tests.conftest import _fresh_schema

    url = _fresh_schema(postgres_database)
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    week(factory)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE delivered (id serial PRIMARY KEY, key text NOT NULL, pid int NOT NULL)"))
    wanted = expected()

    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=slip_week, args=(url, "acme", START, END, 60, n == 0, barrier, out)) for n in range(3)]
    for p in procs:
        p.start()
    survivors = [out.get(timeout=300) for _ in procs[1:]]
    for p in procs:
        p.join(timeout=60)
    assert [p.exitcode for p in procs] == [-signal.SIGKILL, 0, 0]  # the first killed midway, by itself

    with engine.connect() as conn:
        outbox = conn.execute(text("SELECT key, state, created_at FROM outbox WHERE key LIKE 'slip:%'")).all()
        delivered = conn.execute(text("SELECT key, pid FROM delivered WHERE key LIKE 'slip:%'")).all()
        attempts = [k for k, _ in delivered]
        alerts = conn.execute(text("SELECT dependency, change, person, state FROM slip_alert")).all()
    assert set(wanted) - {parts(k) for k, _, _ in outbox} == set(), alerts
    assert sorted(parts(k) for k, _, _ in outbox) == sorted(wanted)  # every alert queued, once
    assert {state for _, state, _ in outbox} == {"sent"}
    assert {parts(k) for k in attempts} == wanted  # nothing lost
    assert len([k for k, n in Counter(attempts).items() if n > 1]) <= 1  # only what the victim was sending
    dropped = [(d, change, person) for d, change, person, state in alerts if state == "dropped"]
    assert sorted(dropped) == [(UNDONE + 1, "blocked:2", "ceo"), (UNDONE + 1, "blocked:2", f"o{UNDONE}")]
    assert all(state != "pending" for *_, state in alerts)
    late = next(at for k, _, at in outbox if parts(k) == (f"D-{AWAY + 1}", "overdue", f"o{AWAY}"))
    back = (needed_by(AWAY) + timedelta(days=3)).replace(hour=0, minute=0)
    assert late >= back  # held while away, sent at the first tick after
    assert sum(n for _, n in survivors) <= len(wanted)
    engine.dispose()
