"""`rhythm set standup --tz member`: each member asked at their own local time, DST-safe, once."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, time

import pytest

from core import commands as c
from core.fakes import FakeStore
from core.rhythm import RunKind, Step, due, zone_steps
from core.scheduling import tick
from tests.unit.conftest import Org, render

ZONES = {"kenji": "Asia/Tokyo", "greta": "Europe/Berlin", "nora": "America/New_York"}
DAILY = (0, 1, 2, 3, 4, 5, 6)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture
def world(store: FakeStore) -> Org:
    """Team `global` in Berlin: kenji in Tokyo, greta in Berlin, nora in New York, and its lead
    lars, whose zone nobody told us (so he is asked in the team's)."""
    o = Org(store, now=utc(2027, 3, 1, 12))
    o.run("ada", c.TeamCreate("global", "Global"), channel="C-global")
    o.run("ada", c.TeamAdd("global", ("lars",), lead=True))
    o.run("ada", c.TeamAdd("global", tuple(ZONES)))
    for who, tz in ZONES.items():
        o.run(who, c.MeTz(tz))
    o.run("lars", c.RhythmSetStandup(days=DAILY, at=time(9, 30), tz="Europe/Berlin", remind=30, digest=time(11, 0)))
    o.run("lars", c.RhythmSetStandup(tz=c.MEMBER_TZ))
    return o


def prompts(store: FakeStore, step: str = "prompt") -> list[tuple[str, str, datetime]]:
    """(period, person, instant) of every queued stand-up message of that step."""
    out = []
    for m in store.state("acme").outbox:
        kind, _team, period, what, *rest = m.key.split(":")
        if kind == "standup" and what == step:
            out.append((period, rest[0].lstrip("@"), m.created_at))
    return out


def test_the_digest_keeps_the_team_zone_and_says_who_is_asked_after_it(world: Org, store: FakeStore) -> None:
    tick(store, "acme", utc(2027, 3, 1, 12), utc(2027, 3, 2, 10, 1))  # Tue 11:00 Berlin has passed
    [digest] = [m for m in store.state("acme").outbox if m.key.endswith("2027-03-02:digest")]
    assert digest.created_at == utc(2027, 3, 2, 10)  # 11:00 CET
    text = render(digest.lines)
    assert "0 of 3 answered" in text and "Missing: Lars, Kenji, Greta" in text
    assert "Asked after this digest, in their own time zones (times in Europe/Berlin): Nora (15:30)" in text
    tick(store, "acme", utc(2027, 3, 2, 10, 1), utc(2027, 3, 2, 14, 31))
    assert ("2027-03-02", "nora", utc(2027, 3, 2, 14, 30)) in prompts(store)
    world.run("nora", c.Standup(("Specs", "Reviews", "none")), now=utc(2027, 3, 2, 15))
    [late] = [m for m in store.state("acme").outbox if ":late:@nora" in m.key]
    assert render(late.lines).startswith("Nora answered:")  # asked after the digest: not "late"


def test_a_member_answers_the_stand_up_of_their_own_day(world: Org, store: FakeStore) -> None:
    """At 20:00 Monday in New York it is already Tuesday in Berlin (and Tokyo's Tuesday run is
    open): nora's answer still belongs to her Monday."""
    tick(store, "acme", utc(2027, 3, 1, 12), utc(2027, 3, 2, 1))  # Monday's runs, and Tokyo's Tuesday prompt
    form = world.say("nora", c.Standup(), now=utc(2027, 3, 2, 1))
    assert "Stand-up for global, Mon 2027-03-01" in form
    assert "Open until Tue 2027-03-02 00:00 America/New_York" in form  # her midnight, named in her zone
    world.run("nora", c.Standup(("Mon work", "Tue work", "none")), now=utc(2027, 3, 2, 1))  # Mon 20:00 EST
    world.run("kenji", c.Standup(("Tue", "Wed", "none")), now=utc(2027, 3, 2, 1))  # Tue 10:00 JST
    answered = {(r.person, r.period) for r in store.state("acme").responses.values()}
    assert answered == {("nora", "2027-03-01"), ("kenji", "2027-03-02")}


def test_moving_zone_during_the_day_never_asks_twice(world: Org, store: FakeStore) -> None:
    tick(store, "acme", utc(2027, 3, 1, 12), utc(2027, 3, 2, 1))  # kenji asked in Tokyo on Tuesday
    world.run("kenji", c.MeTz("America/New_York"), now=utc(2027, 3, 2, 1))  # and flies to New York
    world.run("greta", c.MeTz("Asia/Tokyo"), now=utc(2027, 3, 2, 1))  # greta's Tokyo 09:30 has passed
    tick(store, "acme", utc(2027, 3, 2, 1), utc(2027, 3, 3, 0))
    tuesday = Counter(who for period, who, _ in prompts(store) if period == "2027-03-02")
    assert tuesday == {"kenji": 1, "greta": 1, "nora": 1, "lars": 1}


def test_members_without_a_zone_and_the_calendar_of_a_per_member_schedule(world: Org, store: FakeStore) -> None:
    r = store.state("acme").rhythms["global"]
    steps = due([r], utc(2027, 3, 1, 12), utc(2027, 3, 2, 12), {"global": ("Asia/Tokyo", "Europe/Berlin")})
    assert [(s.step, s.zone, s.at) for s in steps if s.period == "2027-03-02"] == [
        (Step.PROMPT, "Asia/Tokyo", utc(2027, 3, 2, 0, 30)), (Step.REMINDER, "Asia/Tokyo", utc(2027, 3, 2, 1)),
        (Step.PROMPT, "Europe/Berlin", utc(2027, 3, 2, 8, 30)), (Step.REMINDER, "Europe/Berlin", utc(2027, 3, 2, 9)),
        (Step.DIGEST, "", utc(2027, 3, 2, 10)),
    ]  # fmt: skip
    assert zone_steps(r.standup, date(2027, 3, 2), "America/New_York")[0] == utc(2027, 3, 2, 14, 30)  # type: ignore[arg-type]
    tick(store, "acme", utc(2027, 3, 1, 12), utc(2027, 3, 2, 9))
    assert ("2027-03-02", "lars", utc(2027, 3, 2, 8, 30)) in prompts(store)  # no zone: the team's


def test_weekly_check_in_per_member_asks_owners_in_their_zone(world: Org, store: FakeStore) -> None:
    world.run("lars", c.PriorityAdd("Ship", team="global", owner="kenji"))
    world.run("lars", c.PriorityAdd("Docs", team="global", owner="nora"))
    world.run("lars", c.RhythmSetWeekly(day=4, at=time(14, 0), tz=c.MEMBER_TZ, digest=time(18, 0)))
    tick(store, "acme", utc(2027, 3, 4, 12), utc(2027, 3, 6, 0))
    weekly = {m.person: m.created_at for m in store.state("acme").outbox if m.key.startswith("weekly:")
              and ":prompt:" in m.key}  # fmt: skip
    assert weekly == {"kenji": utc(2027, 3, 5, 5), "nora": utc(2027, 3, 5, 19)}  # 14:00 JST, 14:00 EST
    run = store.state("acme").runs[("global", RunKind.WEEKLY.value, "2027-W09")]
    assert run.priorities == {"P-1": "kenji", "P-2": "nora"} and run.closes_at == utc(2027, 3, 12, 19)


def test_rhythm_set_changes_only_the_options_given(world: Org) -> None:
    said = world.say("lars", c.RhythmSetStandup(at=time(10, 0)))
    assert "at 10:00 in each member's own time zone" in said and "reminder 30 minutes later" in said
    assert "digest at 11:00 Europe/Berlin" in said
    said = world.say("lars", c.RhythmSetStandup(tz="America/Chicago"))
    assert "at 10:00 America/Chicago" in said and "reminder 30 minutes later, digest at 11:00" in said
    msg = world.refused("lars", c.RhythmSetStandup(at=time(12, 0)))
    assert msg.startswith("The digest (11:00) must come after the stand-up (12:00)") and "give --digest too" in msg
    assert "Nothing changed" in world.refused("lars", c.RhythmSetStandup(remind=30))
    world.run("ada", c.TeamCreate("fresh", "Fresh"), channel="C-fresh")
    assert "has no weekly check-in yet" in world.refused("ada", c.RhythmSetWeekly(team="fresh", at=time(9, 0)))


def test_rhythm_set_warns_of_members_asked_after_the_digest(world: Org) -> None:
    said = world.say("lars", c.RhythmSetStandup(digest=time(12, 0)))
    assert "Asked after the 12:00 digest: @nora (America/New_York: 15:30 Europe/Berlin)" in said
    assert "Asked after" not in world.say("lars", c.RhythmSetStandup(digest=time(17, 0)))
