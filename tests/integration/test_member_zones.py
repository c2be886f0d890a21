"""A team with members in Tokyo, Berlin and New York, asked at 09:30 in each one's own zone
(`rhythm set standup --tz member`), across both daylight-saving changes, on the real databases:
each person exactly once a day, at 09:30 their time, however many schedulers tick and however they
cut up the time."""

from __future__ import annotations

import multiprocessing
import random
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core import commands as c
from core.context import Context, PersonInfo
from core.scheduling import tick
from core.service import execute
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.rhythm_workers import scheduler_day

ZONES = {"kenji": "Asia/Tokyo", "greta": "Europe/Berlin", "nora": "America/New_York", "lars": "Europe/Berlin"}
"""lars (the lead) never said his zone: he is asked in the team's, Berlin."""
WINDOWS = {
    "spring": (datetime(2027, 3, 10, tzinfo=UTC), datetime(2027, 4, 2, tzinfo=UTC)),  # NY 03-14, Berlin 03-28
    "autumn": (datetime(2027, 10, 27, tzinfo=UTC), datetime(2027, 11, 11, tzinfo=UTC)),  # Berlin 10-31, NY 11-07
}


def organise(factory: SqlUnitOfWorkFactory, now: datetime) -> None:
    def say(who: str, cmd: c.Command, people: tuple[str, ...] = ()) -> None:
        mentioned = tuple(PersonInfo(p, p.title()) for p in people)
        channel = "C-global" if isinstance(cmd, c.TeamCreate) else None
        ctx = Context(actor=PersonInfo(who, who.title()), now=now, people=mentioned, channel=channel)
        execute(factory, "acme", ctx, cmd)

    say("ada", c.TeamCreate("global", "Global"))
    say("ada", c.TeamAdd("global", ("lars",), lead=True), ("lars",))
    say("ada", c.TeamAdd("global", ("kenji", "greta", "nora")), ("kenji", "greta", "nora"))
    for who in ("kenji", "greta", "nora"):
        say(who, c.MeTz(ZONES[who]))
    say("lars", c.RhythmSetStandup(days=tuple(range(7)), at=time(9, 30), tz="Europe/Berlin", remind=30,
                                   digest=time(11, 0)))  # fmt: skip
    say("lars", c.RhythmSetStandup(tz=c.MEMBER_TZ))


def expected(start: datetime, end: datetime) -> set[tuple[str, str]]:
    """(date, person) of every stand-up whose 09:30, in that person's zone, falls in (start, end]."""
    out = set()
    for who, tz in ZONES.items():
        for i in range(-1, (end - start).days + 2):
            day = start.date() + timedelta(days=i)
            if start < datetime.combine(day, time(9, 30), ZoneInfo(tz)) <= end:
                out.add((day.isoformat(), who))
    return out


def check(factory: SqlUnitOfWorkFactory, start: datetime, end: datetime) -> None:
    with factory("acme") as uow:
        outbox = uow.outbox.list()
        claims = uow.claims.list()
    asked = [(m.key.split(":")[2], m.key.split(":@")[1], m.created_at) for m in outbox if ":prompt:@" in m.key]
    assert [k for k, n in Counter((day, who) for day, who, _ in asked).items() if n > 1] == [], "asked twice"
    assert {(day, who) for day, who, _ in asked} == expected(start, end)
    for day, who, at in asked:
        local = at.astimezone(ZoneInfo(ZONES[who]))
        assert (local.date().isoformat(), local.time()) == (day, time(9, 30)), (who, at)
    reminded = [m.key for m in outbox if ":reminder:@" in m.key]
    assert len(reminded) == len(set(reminded)) and len(reminded) >= len(asked) - 4  # nobody answers
    assert len(claims) == len(set(claims))
    assert {step for _, _, _, step, _ in claims} == {
        "prompt@Asia/Tokyo", "prompt@Europe/Berlin", "prompt@America/New_York", "reminder@Asia/Tokyo",
        "reminder@Europe/Berlin", "reminder@America/New_York", "digest", "close",
    }  # fmt: skip


@pytest.mark.parametrize("window", WINDOWS, ids=list(WINDOWS))
def test_each_is_asked_at_0930_their_time_once_across_the_clock_changes(
    uow_factory: SqlUnitOfWorkFactory, window: str
) -> None:
    start, end = WINDOWS[window]
    organise(uow_factory, start - timedelta(days=1))
    rng = random.Random(window)
    a = b = start
    while a < end or b < end:  # two schedulers, each in its own uneven steps, the second looking back
        if a <= b and a < end:
            nxt = min(end, a + timedelta(minutes=rng.randint(30, 400)))
            tick(uow_factory, "acme", a, nxt)
            a = nxt
        else:
            nxt = min(end, b + timedelta(minutes=rng.randint(30, 400)))
            tick(uow_factory, "acme", b - timedelta(minutes=rng.randint(0, 90)), nxt)
            b = nxt
    check(uow_factory, start, end)


@pytest.mark.postgres
def test_two_scheduler_processes_ask_each_member_once(postgres_database: str) -> None:
    from tests.conftest import _fresh_schema

    url = _fresh_schema(postgres_database)
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    start, end = WINDOWS["spring"]
    organise(factory, start - timedelta(days=1))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE delivered (id serial PRIMARY KEY, key text NOT NULL, pid int NOT NULL)"))
    ctx = multiprocessing.get_context("spawn")
    barrier, out = ctx.Barrier(2), ctx.Queue()
    procs = [ctx.Process(target=scheduler_day, args=(url, "acme", start, end, minutes, 0.0, barrier, out))
             for minutes in (97, 150)]  # fmt: skip
    for p in procs:
        p.start()
    for _ in procs:
        out.get(timeout=600)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    check(factory, start, end)
    with engine.connect() as conn:
        sent = conn.execute(text("SELECT key FROM delivered WHERE key LIKE '%:prompt:@%'")).scalars().all()
    assert len(sent) == len(set(sent)) == len(expected(start, end))  # and each delivered once
    engine.dispose()
