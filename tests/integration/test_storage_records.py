"""Every record type survives a trip through the database unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine

from core.model import (
    Blocker,
    BlockerState,
    Dependency,
    DepState,
    Event,
    Person,
    Priority,
    Status,
    Team,
    Workspace,
)
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
LATER = NOW + timedelta(days=2, hours=3)


def full_priority() -> Priority:
    return Priority(
        number=7,
        title="Ship card payments",
        team="payments",
        created_at=NOW,
        updated_at=LATER,
        outcome="Checkout accepts cards in 3 countries",
        owner="U123",
        parent=2,
        rank=3,
        due=date(2026, 6, 30),
        status=Status.AT_RISK,
        confidence=60,
        progress=45,
        closed_reason="superseded",
    )


def full_dependency() -> Dependency:
    return Dependency(
        number=4,
        from_team="web",
        to_team="payments",
        what='API keys for "sandbox"',
        needed_by=date(2026, 3, 20),
        created_at=NOW,
        updated_at=LATER,
        for_priority=7,
        state=DepState.BLOCKED,
        committed=date(2026, 3, 27),
        blocked_reason="waiting on security review",
        blocked_from=DepState.ACCEPTED,
        declined_reason="not this quarter",
        requester_owner="U1",
        provider_owner="U2",
        answered_at=NOW + timedelta(hours=1),
        delivered_at=LATER + timedelta(days=1),
    )


def full_blocker() -> Blocker:
    return Blocker(
        number=3,
        text="staging is down",
        raised_by="U1",
        raised_at=NOW,
        team="web",
        on="D-4",
        state=BlockerState.RESOLVED,
        resolved_by="U2",
        resolved_at=LATER,
    )


def test_people_round_trip(uow_factory: SqlUnitOfWorkFactory) -> None:
    people = [Person("U2", "Bea", "Europe/Berlin", admin=True, tz_pinned=True), Person("U1", "Al")]
    with uow_factory("acme") as uow:
        for p in people:
            uow.people.save(p)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.people.get("U2") == people[0]
        assert uow.people.get("nobody") is None
        assert list(uow.people.list()) == [people[1], people[0]]  # ordered by handle


def test_add_if_absent_inserts_once(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        assert uow.people.add_if_absent(Person("U1", "Al", admin=True)) is True
        assert uow.people.add_if_absent(Person("U1", "Someone else")) is False
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.people.get("U1") == Person("U1", "Al", admin=True)
        uow.people.save(Person("U1", "Al B.", "Asia/Tokyo"))  # save overwrites
        assert uow.people.get("U1") == Person("U1", "Al B.", "Asia/Tokyo")


def test_team_round_trip_keeps_leads_and_members_apart_and_in_order(uow_factory: SqlUnitOfWorkFactory) -> None:
    # A lead who is not a member, and lists whose orders disagree.
    team = Team("payments", "Payments", parent="commerce", leads=["zed", "amy"], members=["amy", "bob", "cy"])
    bare = Team("commerce", "Commerce")
    with uow_factory("acme") as uow:
        uow.teams.save(team)
        uow.teams.save(bare)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.teams.get("payments") == team
        assert uow.teams.get("nope") is None
        assert list(uow.teams.list()) == [bare, team]  # ordered by handle


def test_team_save_rewrites_members(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        uow.teams.save(Team("web", "Web", leads=["a"], members=["a", "b", "c"], channel="C1"))
        uow.commit()
    with uow_factory("acme") as uow:
        team = uow.teams.get("web")
        assert team is not None
        team.members.remove("b")
        team.members.insert(0, "d")
        team.leads = ["c"]
        team.name, team.channel = "Web platform", None
        uow.teams.save(team)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.teams.get("web") == Team("web", "Web platform", leads=["c"], members=["d", "a", "c"])


def test_priority_round_trip(uow_factory: SqlUnitOfWorkFactory) -> None:
    full = full_priority()
    minimal = Priority(number=8, title="Org goal", team=None, created_at=NOW, updated_at=NOW)
    with uow_factory("acme") as uow:
        uow.priorities.save(minimal)
        uow.priorities.save(full)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.priorities.get(7) == full
        assert uow.priorities.get(8) == minimal
        assert uow.priorities.get(9) is None
        assert [p.number for p in uow.priorities.list()] == [7, 8]
        got = uow.priorities.get(7)
        assert got is not None and isinstance(got.status, Status) and got.created_at.tzinfo is not None


def test_priority_save_updates(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        uow.priorities.save(full_priority())
        uow.commit()
    with uow_factory("acme") as uow:
        p = uow.priorities.get(7)
        assert p is not None
        p.status, p.confidence, p.due, p.owner = Status.DONE, None, None, None
        uow.priorities.save(p)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.priorities.get(7) == p


def test_dependency_round_trip(uow_factory: SqlUnitOfWorkFactory) -> None:
    full = full_dependency()
    minimal = Dependency(5, "web", "data", "a table", date(2026, 4, 1), created_at=NOW, updated_at=NOW)
    with uow_factory("acme") as uow:
        uow.dependencies.save(full)
        uow.dependencies.save(minimal)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.dependencies.get(4) == full
        assert uow.dependencies.get(5) == minimal
        assert [d.number for d in uow.dependencies.list()] == [4, 5]
        got = uow.dependencies.get(4)
        assert got is not None and got.blocked_from is DepState.ACCEPTED and got.state is DepState.BLOCKED


def test_blocker_round_trip(uow_factory: SqlUnitOfWorkFactory) -> None:
    full = full_blocker()
    minimal = Blocker(number=1, text="no laptop", raised_by="U9", raised_at=NOW)
    with uow_factory("acme") as uow:
        uow.blockers.save(full)
        uow.blockers.save(minimal)
        uow.commit()
    with uow_factory("acme") as uow:
        assert uow.blockers.get(3) == full
        assert list(uow.blockers.list()) == [minimal, full]
        assert uow.blockers.get(2) is None


def test_events_in_order_with_data_and_since(uow_factory: SqlUnitOfWorkFactory) -> None:
    events = [
        Event(NOW, "U1", "priority.created", "P-1", {"title": "x", "nested": {"a": [1, 2, None]}}),
        Event(LATER, "U2", "dependency.accepted", "D-4", {"committed": "2026-03-27"}),
        Event(NOW + timedelta(days=1), "U1", "blocker.raised", "B-1"),
    ]
    with uow_factory("acme") as uow:
        for e in events:
            uow.events.append(e)
        uow.commit()
    with uow_factory("acme") as uow:
        got = uow.events.list()
        assert [(e.at, e.actor, e.kind, e.subject, e.data) for e in got] == [
            (e.at, e.actor, e.kind, e.subject, e.data) for e in events
        ]
        seqs = [e.seq or 0 for e in got]
        assert 0 < seqs[0] < seqs[1] < seqs[2]  # insertion order, not time order
        assert [e.subject for e in uow.events.list(since=NOW + timedelta(hours=1))] == ["D-4", "B-1"]


def test_datetimes_come_back_utc_aware_whatever_offset_went_in(uow_factory: SqlUnitOfWorkFactory) -> None:
    berlin_summer = timezone(timedelta(hours=2))
    local = datetime(2026, 7, 1, 11, 0, tzinfo=berlin_summer)
    with uow_factory("acme") as uow:
        uow.blockers.save(Blocker(1, "x", "U1", raised_at=local))
        uow.commit()
    with uow_factory("acme") as uow:
        got = uow.blockers.get(1)
        assert got is not None
        assert got.raised_at == local
        assert got.raised_at.utcoffset() == timedelta(0)
        assert got.raised_at.hour == 9


def test_listed_datetimes_are_exact_and_utc_aware(uow_factory: SqlUnitOfWorkFactory) -> None:
    """The bulk reads (what a snapshot loads) parse stored times their own fast way: same values."""
    moments = [
        NOW,
        NOW.replace(microsecond=0),
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
    ]
    with uow_factory("acme") as uow:
        for n, at in enumerate(moments, 1):
            uow.blockers.save(Blocker(n, "x", "U1", raised_at=at, resolved_at=at if n == 2 else None))
        uow.commit()
    with uow_factory("acme") as uow:
        listed = uow.blockers.list()
    assert [b.raised_at for b in listed] == moments
    assert all(b.raised_at.tzinfo == UTC for b in listed)
    assert [b.resolved_at for b in listed] == [None, moments[1], None]
    assert listed[2].raised_at.isoformat() == "2027-01-01T04:59:59.999999+00:00"


def test_naive_datetimes_are_refused(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow, pytest.raises(ValueError, match="naive"):
        uow.blockers.save(Blocker(1, "x", "U1", raised_at=datetime(2026, 7, 1, 11, 0)))


def test_returned_records_are_copies(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        uow.teams.save(Team("web", "Web", members=["a"]))
        uow.events.append(Event(NOW, "U1", "k", "s", {"list": [1]}))
        first = uow.teams.get("web")
        assert first is not None
        first.members.append("b")
        uow.events.list()[0].data["list"].append(2)
        assert uow.teams.get("web") == Team("web", "Web", members=["a"])
        assert uow.events.list()[0].data == {"list": [1]}


def test_workspace_settings(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("T0123") as uow:
        assert uow.workspace.get() == Workspace("T0123", "UTC")
        uow.workspace.save(Workspace("T0123", "America/New_York"))
        uow.commit()
    with uow_factory("T0123") as uow:
        assert uow.workspace.get() == Workspace("T0123", "America/New_York")
        with pytest.raises(ValueError, match="rename"):
            uow.workspace.save(Workspace("other", "UTC"))


def test_new_workspace_takes_the_factory_default_tz(engine: Engine) -> None:
    factory = SqlUnitOfWorkFactory(engine, default_tz="Europe/Paris")
    with factory("paris") as uow:
        assert uow.workspace.get().tz == "Europe/Paris"


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        ("2026-11-23 09:00:00.000000", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),  # as Flotilla writes
        ("2026-11-23 09:00:00.123456", datetime(2026, 11, 23, 9, 0, 0, 123456, tzinfo=UTC)),
        ("2026-11-23 09:00:00", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),  # by hand, or by other tools
        ("2026-11-23T09:00:00", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        ("2026-11-23 09:00:00+05:00", datetime(2026, 11, 23, 4, 0, tzinfo=UTC)),
        ("2026-11-23T09:00:00Z", datetime(2026, 11, 23, 9, 0, tzinfo=UTC)),
        ("2026-11-23 09:00:00.000000+05:00", datetime(2026, 11, 23, 4, 0, tzinfo=UTC)),
        ("2026-11-23", datetime(2026, 11, 23, 0, 0, tzinfo=UTC)),
    ],
)
def test_sqlite_times_in_any_iso_shape_read_as_utc(stored: str, expected: datetime) -> None:
    """SQLite keeps text. Flotilla's own shape takes a fast path; any other ISO shape still reads
    as the right UTC instant, never as an error or a naive datetime."""
    from sqlalchemy import Column, Integer, MetaData, Table, create_engine
    from sqlalchemy import select as sa_select
    from sqlalchemy import text as sa_text

    from storage.tables import UtcDateTime

    engine = create_engine("sqlite://")
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("at", UtcDateTime()))
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa_text("INSERT INTO t (id, at) VALUES (1, :at)"), {"at": stored})
        got = conn.execute(sa_select(table.c.at)).scalar_one()
    assert got == expected and got.tzinfo == UTC


def test_every_column_can_name_a_field_of_the_bulk_reads() -> None:
    """The bulk reads return named tuples of a table's columns: a column named like a keyword or
    starting with an underscore would break every list of its table."""
    import collections

    from sqlmodel import SQLModel

    import storage.tables  # noqa: F401 - registers the tables

    for table in SQLModel.metadata.tables.values():
        collections.namedtuple("Row", table.c.keys())  # raises ValueError on a bad name
