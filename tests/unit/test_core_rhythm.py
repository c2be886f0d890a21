"""The rhythm's pure calendar (`due`), the tick that claims and does each step once, and the outbox."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import commands as c
from core.fakes import FakeStore, RecordingDelivery
from core.outbox import backoff, drain
from core.ports import FAILED, PENDING, SENT, DeliveryError
from core.rhythm import (
    Rhythm,
    RunKind,
    Step,
    due,
    make_schedule,
    parse_clock,
    parse_days,
    parse_minutes,
    says_nothing,
)
from core.scheduling import tick
from tests.unit.conftest import Org, render


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def standup(tz: str, at: str = "09:30", days: str = "mon-fri", **kw: object) -> Rhythm:
    return Rhythm(team="t", tz=tz, standup=make_schedule(RunKind.STANDUP, parse_days(days), parse_clock(at), **kw))  # type: ignore[arg-type]


def at_of(steps: list, step: Step) -> list[datetime]:  # type: ignore[type-arg]
    return [s.at for s in steps if s.step is step]


# --- parsing -------------------------------------------------------------------------------------


def test_days_times_and_delays_parse() -> None:
    assert parse_days("mon-fri") == (0, 1, 2, 3, 4)
    assert parse_days("mon,wed,fri") == (0, 2, 4)
    assert parse_days("fri-mon") == (0, 4, 5, 6)
    assert parse_days("daily") == tuple(range(7))
    assert parse_clock("9:30") == time(9, 30)
    assert parse_minutes("1h30m") == 90 and parse_minutes("45") == 45
    assert says_nothing(" None. ") and says_nothing("N/A") and says_nothing("-") and not says_nothing("no coffee")


def test_a_schedule_whose_digest_comes_first_is_refused() -> None:
    from core.errors import InvalidInput

    with pytest.raises(InvalidInput, match="must come after"):
        make_schedule(RunKind.STANDUP, (0,), time(10, 0), digest_at=time(9, 0))
    with pytest.raises(InvalidInput, match="before the digest"):
        make_schedule(RunKind.STANDUP, (0,), time(10, 0), digest_at=time(10, 30), remind_after=45)


# --- due -----------------------------------------------------------------------------------------


def test_due_walks_local_days_and_window_bounds() -> None:
    r = standup("Europe/Berlin", remind_after=60, digest_at=time(11, 0))
    week = due([r], utc(2026, 11, 22, 0), utc(2026, 11, 29, 0))  # Sun..Sun: five stand-ups
    assert [s.period for s in week if s.step is Step.PROMPT] == [f"2026-11-{d}" for d in range(23, 28)]
    assert at_of(week, Step.PROMPT)[0] == utc(2026, 11, 23, 8, 30)  # 09:30 CET
    assert at_of(week, Step.REMINDER)[0] == utc(2026, 11, 23, 9, 30)
    assert at_of(week, Step.DIGEST)[0] == utc(2026, 11, 23, 10, 0)
    assert at_of(week, Step.CLOSE)[0] == utc(2026, 11, 23, 23, 0)  # local midnight
    # (t0, t1]: a step exactly at t0 is not due, one exactly at t1 is
    assert due([r], utc(2026, 11, 23, 8, 30), utc(2026, 11, 23, 8, 31)) == []
    assert [s.step for s in due([r], utc(2026, 11, 23, 8, 29), utc(2026, 11, 23, 8, 30))] == [Step.PROMPT]


def test_skip_dates_and_paused_teams_have_nothing_due() -> None:
    r = standup("UTC")
    r.skip = [date(2026, 11, 24)]
    days = {s.period for s in due([r], utc(2026, 11, 23), utc(2026, 11, 26))}
    assert days == {"2026-11-23", "2026-11-25"}
    r.paused = True
    assert due([r], utc(2026, 11, 23), utc(2026, 11, 26)) == []


def test_weekly_check_in_runs_once_a_week_and_closes_a_week_later() -> None:
    r = Rhythm(team="t", tz="UTC", weekly=make_schedule(RunKind.WEEKLY, (4,), time(14, 0)))
    steps = due([r], utc(2026, 11, 23), utc(2026, 12, 5))
    assert [(s.period, s.step) for s in steps if s.step in (Step.PROMPT, Step.CLOSE)] == [
        ("2026-W47", Step.CLOSE), ("2026-W48", Step.PROMPT), ("2026-W48", Step.CLOSE), ("2026-W49", Step.PROMPT),
    ]  # fmt: skip
    closes = [s for s in steps if s.step is Step.CLOSE]
    assert closes[1].at == utc(2026, 12, 4, 14)  # ordered before the next week's prompt at the same instant


@pytest.mark.parametrize(
    ("tz", "day", "local", "expected"),
    [
        ("Europe/Berlin", date(2027, 3, 28), "02:30", utc(2027, 3, 28, 1, 30)),  # gap: fires at 03:30 CEST
        ("Europe/Berlin", date(2026, 10, 25), "02:30", utc(2026, 10, 25, 0, 30)),  # repeated: first 02:30
        ("America/New_York", date(2027, 3, 14), "02:30", utc(2027, 3, 14, 7, 30)),  # gap: 03:30 EDT
        ("America/New_York", date(2026, 11, 1), "01:30", utc(2026, 11, 1, 5, 30)),  # repeated: first 01:30 EDT
        ("Europe/Berlin", date(2027, 3, 28), "09:30", utc(2027, 3, 28, 7, 30)),  # after the change: CEST
    ],
)
def test_daylight_saving_neither_skips_nor_doubles(tz: str, day: date, local: str, expected: datetime) -> None:
    r = standup(tz, at=local, days="daily", remind_after=10, digest_at=(datetime.combine(day, parse_clock(local))
                                                                       + timedelta(minutes=45)).time())  # fmt: skip
    steps = due([r], utc(day.year, day.month, day.day) - timedelta(days=1), utc(day.year, day.month, day.day, 23))
    prompts = [s for s in steps if s.step is Step.PROMPT and s.period == day.isoformat()]
    assert [s.at for s in prompts] == [expected]
    mine = {s.step: s.at for s in steps if s.period == day.isoformat()}
    assert mine[Step.PROMPT] < mine[Step.REMINDER] < mine[Step.DIGEST]


@settings(max_examples=40, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=14 * 24 * 60 - 1), max_size=30, unique=True))
def test_any_partition_of_a_window_finds_each_step_exactly_once(cuts: list[int]) -> None:
    """The scheduler ticks over (last, now] in arbitrary pieces: together they see what one big tick sees."""
    rhythms = [standup("Europe/Berlin"), standup("America/New_York", at="02:30", days="daily")]
    rhythms[1].team = "ny"
    start = utc(2027, 3, 8)  # spans the US (03-14) and the EU (03-28 is outside; 2 weeks) changes
    edges = [start, *(start + timedelta(minutes=m) for m in sorted(cuts)), start + timedelta(days=14)]
    pieces = [s for a, b in zip(edges, edges[1:], strict=False) for s in due(rhythms, a, b)]
    whole = due(rhythms, edges[0], edges[-1])
    assert sorted(s.key for s in pieces) == sorted(s.key for s in whole)
    assert len({s.key for s in whole}) == len(whole)


# --- tick on the fakes ---------------------------------------------------------------------------


@pytest.fixture
def team(store: FakeStore) -> Org:
    o = Org(store, now=utc(2026, 11, 23, 7))
    o.run("ada", c.TeamCreate("payments", "Payments"), channel="C-pay")
    o.run("ada", c.TeamAdd("payments", ("bob",), lead=True))
    o.run("ada", c.TeamAdd("payments", ("carol", "dave")))
    o.run("bob", c.RhythmSetStandup(days=(0, 1, 2, 3, 4), at=time(9, 30), tz="Europe/Berlin", remind=60,
                                    digest=time(11, 0)))  # fmt: skip
    return o


def messages(store: FakeStore) -> list[tuple[str, str]]:
    return [(m.key.split(":")[3], m.channel or m.person or "") for m in store.state("acme").outbox]


def test_a_day_of_stand_up_prompts_reminds_non_answerers_and_digests(team: Org, store: FakeStore) -> None:
    team.run("dave", c.Away(c.DateSpec("today"), c.DateSpec("today")))
    done = tick(store, "acme", utc(2026, 11, 23, 7), utc(2026, 11, 23, 8, 45))
    assert [s.step for s in done.done] == [Step.PROMPT]
    assert messages(store) == [("prompt", "bob"), ("prompt", "carol")]  # dave is away
    team.run("carol", c.Standup(("Vault", "Tokens", "Waiting on legal")), now=utc(2026, 11, 23, 9))
    assert team.blocker(1).text == "Waiting on legal" and team.blocker(1).team == "payments"
    tick(store, "acme", utc(2026, 11, 23, 8, 45), utc(2026, 11, 24, 0))
    assert messages(store)[2:] == [("reminder", "bob"), ("digest", "C-pay")]
    digest = store.state("acme").outbox[3]
    text = render(digest.lines)
    assert "1 of 2 answered" in text and "Missing: Bob" in text and "Away: Dave" in text
    assert "Anything blocking you? Waiting on legal (B-1)" in text
    run = store.state("acme").runs[("payments", "standup", "2026-11-23")]
    assert run.closed and run.expected == ["bob", "carol"] and run.away == ["dave"]


def test_ticking_the_same_window_again_does_nothing(team: Org, store: FakeStore) -> None:
    first = tick(store, "acme", utc(2026, 11, 23), utc(2026, 11, 24))
    again = tick(store, "acme", utc(2026, 11, 23), utc(2026, 11, 24))
    assert len(first.done) == 4 and again.done == [] and len(again.taken) == 4
    assert len(store.state("acme").outbox) == first.queued == 3 + 3 + 1


def test_after_downtime_only_the_grace_window_is_done(team: Org, store: FakeStore) -> None:
    now = utc(2026, 11, 23, 10, 5)  # down since 07:00; the digest (10:00) is within 30 minutes
    result = tick(store, "acme", utc(2026, 11, 23, 7), now, now=now, grace=timedelta(minutes=30))
    assert [s.step for s in result.skipped] == [Step.PROMPT, Step.REMINDER]
    assert [s.step for s in result.done] == [Step.DIGEST]  # claimed and done: no run was opened, so no digest
    assert all(m.key.split(":")[3] != "prompt" for m in store.state("acme").outbox)
    assert ("payments", "standup", "2026-11-23", "prompt", "skipped") in store("acme").__enter__().claims.list()


# --- the outbox ----------------------------------------------------------------------------------


def test_command_notices_go_through_the_outbox_once(team: Org, store: FakeStore) -> None:
    team.run("ada", c.TeamCreate("ledger", "Ledger"), channel="C-led")
    team.run("ada", c.TeamAdd("ledger", ("lena",), lead=True))
    team.run("carol", c.DepRequest("ledger", "API keys", by=c.DateSpec("fri")))
    delivery = RecordingDelivery()
    assert [m.channel or m.person for m in drain(store, "acme", delivery, team.now).sent] == ["C-led", "lena"]
    assert drain(store, "acme", delivery, team.now).sent == []
    assert [m.state for m in store.state("acme").outbox] == [SENT, SENT]


def test_failed_deliveries_back_off_and_honour_retry_after(team: Org, store: FakeStore) -> None:
    tick(store, "acme", utc(2026, 11, 23, 8), utc(2026, 11, 23, 8, 30))  # 3 prompts
    delivery = RecordingDelivery()
    t = utc(2026, 11, 23, 8, 30)
    delivery.fail = [DeliveryError("429", retry_after=30), DeliveryError("500")]
    first = drain(store, "acme", delivery, t)
    assert len(first.retrying) == 2 and len(first.sent) == 1
    rows = store.state("acme").outbox
    assert rows[0].next_attempt_at == t + timedelta(seconds=30)  # Retry-After beats the 2 s backoff
    assert rows[1].next_attempt_at == t + backoff(1) == t + timedelta(seconds=2)
    assert drain(store, "acme", delivery, t + timedelta(seconds=5)).sent[0].key == rows[1].key
    assert [m.key for m in drain(store, "acme", delivery, t + timedelta(seconds=30)).sent] == [rows[0].key]
    assert sorted(m.key for m in delivery.delivered) == sorted(m.key for m in rows)  # each exactly once


def test_a_message_that_keeps_failing_is_given_up(team: Org, store: FakeStore) -> None:
    tick(store, "acme", utc(2026, 11, 23, 8), utc(2026, 11, 23, 8, 30))
    delivery = RecordingDelivery()
    delivery.fail = [DeliveryError("channel_not_found", permanent=True)]
    drain(store, "acme", delivery, utc(2026, 11, 23, 8, 30))
    assert [m.state for m in store.state("acme").outbox] == [FAILED, SENT, SENT]
    assert backoff(30) == timedelta(minutes=15) and PENDING == "pending"


def test_participation_reaches_the_risk_engine_and_team_show(team: Org, store: FakeStore) -> None:
    from core.snapshot import Participation, take_snapshot

    team.run("bob", c.RhythmSkip(c.DateSpec("2026-11-25")))
    team.run("dave", c.Away(c.DateSpec("today"), c.DateSpec("today")))
    tick(store, "acme", utc(2026, 11, 23, 7), utc(2026, 11, 23, 9))
    team.run("carol", c.Standup(("a", "b", "none")), now=utc(2026, 11, 23, 9))
    tick(store, "acme", utc(2026, 11, 23, 9), utc(2026, 11, 24, 0))
    with store("acme") as uow:
        snap = take_snapshot(uow, now=utc(2026, 11, 24, 12))
    assert snap.participation == (Participation("payments", expected=2, answered=1),)  # dave was away
    assert snap.skip_dates == {"payments": frozenset({"2026-11-25"})}
    shown = team.say("bob", c.TeamShow("payments"), now=utc(2026, 11, 24, 12))
    assert "Check-ins this week (from 2026-11-23): stand-ups 1 of 2 (50%)" in shown
