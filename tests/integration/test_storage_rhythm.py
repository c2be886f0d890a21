"""The rhythm's storage on SQLite and PostgreSQL: rhythms, runs, claims, the outbox, export/import."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import Engine

from bot.console import Console
from core.fakes import FixedClock, RecordingDelivery
from core.model import Person
from core.outbox import drain
from core.ports import SENT, OutboxMessage
from core.reply import Mention, Quote
from core.rhythm import Away, Response, Rhythm, RunKind, Step, make_schedule, new_run
from core.scheduling import tick
from core.transfer import export_workspace, import_workspace
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def test_rhythms_and_time_away_round_trip(uow_factory: SqlUnitOfWorkFactory) -> None:
    r = Rhythm(team="payments", tz="Europe/Berlin", paused=True, skip=[date(2026, 12, 25), date(2026, 12, 24)],
               standup=make_schedule(RunKind.STANDUP, (0, 2, 4), time(9, 30), questions=("Done?", "Blocked?")),
               weekly=make_schedule(RunKind.WEEKLY, (4,), time(14, 0)))  # fmt: skip
    with uow_factory("acme") as uow:
        uow.rhythms.save(r)
        uow.rhythms.set_aways("bob", [Away("bob", date(2026, 12, 1), date(2026, 12, 5))])
        uow.commit()
    with uow_factory("acme") as uow:
        back = uow.rhythms.get("payments")
        assert back is not None and back.skip == [date(2026, 12, 24), date(2026, 12, 25)]
        back.skip = sorted(r.skip)
        r.skip = sorted(r.skip)
        assert back == r
        assert uow.rhythms.aways() == [Away("bob", date(2026, 12, 1), date(2026, 12, 5))]
    with uow_factory("other") as uow:
        assert uow.rhythms.list() == [] and uow.rhythms.aways() == []


def test_runs_and_responses_round_trip(uow_factory: SqlUnitOfWorkFactory) -> None:
    rhythm = Rhythm(team="payments", tz="Europe/Berlin", standup=make_schedule(RunKind.STANDUP, (0,), time(9, 30)))
    run = new_run(rhythm, RunKind.STANDUP, date(2026, 11, 23))
    run.expected, run.prompted_at = ["bob", "carol"], NOW
    answer = Response(team="payments", kind=RunKind.STANDUP, period=run.period, person="bob", answered_at=NOW,
                      updated_at=NOW, answers=["a", "b", "c"], blocker=3)  # fmt: skip
    with uow_factory("acme") as uow:
        uow.checkins.save_run(run)
        uow.checkins.save_response(answer)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.checkins.run("payments", RunKind.STANDUP, "2026-11-23") == run
        assert uow.checkins.runs(since=NOW) == [run]
        assert uow.checkins.responses("payments", RunKind.STANDUP, run.period) == [answer]
        assert uow.checkins.response("payments", RunKind.STANDUP, run.period, "carol") is None


def test_a_step_is_claimed_once(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        assert uow.claims.claim("payments", RunKind.STANDUP, "2026-11-23", Step.PROMPT, NOW)
        assert not uow.claims.claim("payments", RunKind.STANDUP, "2026-11-23", Step.PROMPT, NOW)
        uow.commit()
    with uow_factory("acme") as uow:
        assert not uow.claims.claim("payments", RunKind.STANDUP, "2026-11-23", Step.PROMPT, NOW)
        assert uow.claims.claim("payments", RunKind.STANDUP, "2026-11-23", Step.REMINDER, NOW, "skipped")
        uow.commit()
        assert uow.claims.list() == [("payments", "standup", "2026-11-23", "prompt", "done"),
                                     ("payments", "standup", "2026-11-23", "reminder", "skipped")]  # fmt: skip
    with uow_factory("globex") as uow:  # claims are per workspace
        assert uow.claims.claim("payments", RunKind.STANDUP, "2026-11-23", Step.PROMPT, NOW)


def test_a_per_member_step_is_claimed_once_per_zone(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        for zone in ("Asia/Tokyo", "America/New_York", ""):
            assert uow.claims.claim("payments", RunKind.STANDUP, "2026-11-23", Step.PROMPT, NOW, zone=zone)
        assert not uow.claims.claim("payments", RunKind.STANDUP, "2026-11-23", Step.PROMPT, NOW, zone="Asia/Tokyo")
        uow.commit()
    with uow_factory("acme") as uow:
        assert not uow.claims.claim("payments", RunKind.STANDUP, "2026-11-23", Step.PROMPT, NOW, zone="Asia/Tokyo")
        assert [step for *_, step, _ in uow.claims.list()] == [
            "prompt", "prompt@America/New_York", "prompt@Asia/Tokyo",
        ]  # fmt: skip


def test_a_workspace_exists_only_once_something_is_committed_in_it(uow_factory: SqlUnitOfWorkFactory) -> None:
    from storage.uow import workspaces

    with uow_factory("fresh") as uow:
        assert uow.created and uow.people.list() == []
        uow.people.save(Person("U1", "Al"))  # then rolled back: as a refused command
    with uow_factory("fresh") as uow:
        assert uow.created and uow.people.list() == []
    assert "fresh" not in workspaces(uow_factory.engine)
    with uow_factory("fresh") as uow:
        uow.people.save(Person("U1", "Al"))
        uow.commit()
    with uow_factory("fresh") as uow:
        assert not uow.created and [p.handle for p in uow.people.list()] == ["U1"]
    assert "fresh" in workspaces(uow_factory.engine)


def test_queueing_a_batch_counts_only_the_new_keys(uow_factory: SqlUnitOfWorkFactory) -> None:
    """add_all reports the rows the driver inserted (the fan-out counts its prompts by it)."""
    lines = (("x",),)
    with uow_factory("acme") as uow:
        assert uow.outbox.add_all([OutboxMessage(key=k, lines=lines, created_at=NOW, person="bob") for k in "ab"]) == 2
        batch = [OutboxMessage(key=k, lines=lines, created_at=NOW, person="bob") for k in "bcbd"]
        assert uow.outbox.add_all(batch) == 2  # b is queued already (and twice in the batch): c and d are new
        uow.commit()
    with uow_factory("acme") as uow:
        assert sorted(m.key for m in uow.outbox.list()) == ["a", "b", "c", "d"]


def test_the_outbox_keeps_one_message_per_key(uow_factory: SqlUnitOfWorkFactory) -> None:
    lines = (("Hello ", Mention("bob"), " ", Quote("@here")),)
    with uow_factory("acme") as uow:
        assert uow.outbox.add(OutboxMessage(key="k1", lines=lines, created_at=NOW, person="bob"))
        assert not uow.outbox.add(OutboxMessage(key="k1", lines=lines, created_at=NOW, channel="x"))
        uow.commit()
    delivery = RecordingDelivery()
    assert [m.key for m in drain(uow_factory, "acme", delivery, NOW).sent] == ["k1"]
    assert delivery.delivered[0].lines == lines and delivery.delivered[0].person == "bob"
    with uow_factory("acme") as uow:
        assert [(m.key, m.state, m.attempts) for m in uow.outbox.list()] == [("k1", SENT, 1)]


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_senders_skip_rows_another_sender_holds(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        for k in ("a", "b"):
            uow.outbox.add(OutboxMessage(key=k, lines=(("x",),), created_at=NOW, person="bob"))
        uow.commit()
    lease = timedelta(minutes=5)
    with uow_factory("acme") as first, uow_factory("acme") as second:
        assert [m.key for m in first.outbox.claim(NOW, 1, "first", lease)] == ["a"]
        assert [m.key for m in second.outbox.claim(NOW, 5, "second", lease)] == ["b"]  # "a" is locked: skipped
        first.commit()
        second.commit()
    with uow_factory("acme") as third:  # committed claims are leases: nobody else takes them until they end
        assert third.outbox.claim(NOW + timedelta(days=1), 5, "third", lease) == []


def test_a_lease_that_ran_out_unrecorded_is_taken_over_as_uncertain(uow_factory: SqlUnitOfWorkFactory) -> None:
    """A sender that claimed a row and died before it recorded the outcome may have sent it: whoever
    takes the row over once the lease has run out (by the database's clock) is told so."""
    with uow_factory("acme") as uow:
        for k in ("a", "b"):
            uow.outbox.add(OutboxMessage(key=k, lines=(("x",),), created_at=NOW, person="bob"))
        uow.commit()
    with uow_factory("acme") as uow:
        [dead] = uow.outbox.claim(NOW, 1, "dead", timedelta(0))  # a lease that is over at once
        uow.commit()
    assert dead.key == "a" and not dead.uncertain
    with uow_factory("acme") as uow:
        taken = uow.outbox.claim(NOW, 5, "alive", timedelta(minutes=5))
        uow.commit()
    assert [(m.key, m.uncertain) for m in taken] == [("a", True), ("b", False)]
    with uow_factory("acme") as uow:
        assert not uow.outbox.record(dead, "dead")  # the dead sender's lease no longer holds the row
        taken[0].state = SENT
        assert uow.outbox.record(taken[0], "alive")
        uow.commit()
        assert {m.key: (m.state, m.uncertain) for m in uow.outbox.list()}["a"] == (SENT, True)


def test_a_rhythm_exports_and_imports_losslessly(engine: Engine) -> None:
    factory = SqlUnitOfWorkFactory(engine)
    clock = FixedClock(NOW)
    console = Console(factory, clock, "ada", workspace="acme")
    for text in ('team create payments "Payments"', "team add payments @bob --lead", "team add payments @carol",
                 "@bob: rhythm set standup --days mon-fri --at 09:30 --tz Europe/Berlin",
                 "@bob: rhythm set weekly --day fri --at 14:00", "@bob: rhythm skip 2026-12-24",
                 '@bob: priority add "Checkout" --owner @carol', "@carol: away 2026-11-30 2026-12-02"):  # fmt: skip
        who, _, cmd = text.partition(": ") if text.startswith("@") else ("@ada", "", text)
        assert not console.command(cmd, who.lstrip("@")).refused, text
    clock.set(datetime(2026, 11, 23, 8, 45, tzinfo=UTC))
    tick(factory, "acme", NOW, clock.now())
    assert not console.command('standup "Vault" "Tokens" "Waiting on legal"', "bob").refused
    with factory("acme") as uow:
        data = export_workspace(uow)
    assert len(data["rhythms"]) == 1 and len(data["checkins"]) == 1 and len(data["away"]) == 1
    assert data["checkins"][0]["responses"][0]["blocker"] == "B-1"
    with factory("copy") as uow:
        import_workspace(uow, data)
        uow.commit()
    with factory("copy") as uow:
        again = export_workspace(uow)
    same = ("rhythms", "checkins", "away", "blockers", "priorities", "events", "people", "teams")
    assert {k: again[k] for k in same} == {k: data[k] for k in same}
    with factory("copy") as uow:  # the import did not bring the outbox along
        assert uow.outbox.list() == []
    with factory("acme") as uow:  # the console delivered the prompts when bob answered
        prompts = [m for m in uow.outbox.list() if ":prompt:" in m.key]
        assert [(m.person, m.state) for m in prompts] == [("bob", SENT), ("carol", SENT)]
