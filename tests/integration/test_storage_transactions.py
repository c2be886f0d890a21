"""The unit of work owns the transaction; workspaces never see each other; ids never repeat."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from core.model import Blocker, Dependency, Event, Kind, Person, Priority, Team
from storage import workspaces
from storage.engine import make_engine
from storage.tables import DependencyRow
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Boom(Exception):
    pass


def write_everything(uow: SqlUnitOfWork, tag: str) -> None:
    uow.people.save(Person(f"U-{tag}", tag))
    uow.teams.save(Team(f"team-{tag}", tag, members=[f"U-{tag}"]))
    uow.priorities.save(Priority(uow.ids.next(Kind.PRIORITY), tag, None, NOW, NOW))
    uow.dependencies.save(
        Dependency(uow.ids.next(Kind.DEPENDENCY), "a", "b", tag, date(2026, 4, 1), created_at=NOW, updated_at=NOW)
    )
    uow.blockers.save(Blocker(uow.ids.next(Kind.BLOCKER), tag, f"U-{tag}", NOW))
    uow.events.append(Event(NOW, f"U-{tag}", "test", tag))


def contents(uow: SqlUnitOfWork) -> tuple[Any, ...]:
    return (
        list(uow.people.list()),
        list(uow.teams.list()),
        list(uow.priorities.list()),
        list(uow.dependencies.list()),
        list(uow.blockers.list()),
        [(e.kind, e.subject) for e in uow.events.list()],
        uow.ids.current(),
    )


EMPTY: tuple[Any, ...] = ([], [], [], [], [], [], {})


def test_commit_keeps_everything(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        write_everything(uow, "x")
        uow.commit()
    with uow_factory("acme") as uow:
        people, teams, priorities, deps, blockers, events, ids = contents(uow)
        assert len(people) == len(teams) == len(priorities) == len(deps) == len(blockers) == len(events) == 1
        assert ids == {"B": 1, "D": 1, "P": 1}


def test_exception_inside_the_block_leaves_nothing(uow_factory: SqlUnitOfWorkFactory) -> None:
    with pytest.raises(Boom), uow_factory("acme") as uow:
        write_everything(uow, "x")
        raise Boom
    with uow_factory("acme") as uow:
        assert contents(uow) == EMPTY


def test_leaving_without_commit_rolls_back(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        write_everything(uow, "x")
    with uow_factory("acme") as uow:
        assert contents(uow) == EMPTY


def test_rollback_undoes_only_what_was_not_committed(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        write_everything(uow, "kept")
        uow.commit()
        write_everything(uow, "undone")
        uow.rollback()
        assert [p.name for p in uow.people.list()] == ["kept"]
        write_everything(uow, "again")
        uow.commit()
    with uow_factory("acme") as uow:
        assert [p.name for p in uow.people.list()] == ["again", "kept"]
        assert [p.title for p in uow.priorities.list()] == ["kept", "again"]
        assert [p.number for p in uow.priorities.list()] == [1, 2]  # the rolled-back P-2 was reused


def test_unit_of_work_can_be_reused_but_not_nested(uow_factory: SqlUnitOfWorkFactory) -> None:
    uow = uow_factory("acme")
    with uow:
        uow.people.save(Person("U1", "Al"))
        uow.commit()
        with pytest.raises(RuntimeError, match="already open"), uow:
            pass
    with uow:
        assert uow.people.get("U1") is not None
    with pytest.raises(RuntimeError, match="not open"):
        uow.commit()


def test_workspaces_never_see_each_other(uow_factory: SqlUnitOfWorkFactory, engine: Engine) -> None:
    with uow_factory("T-ACME") as a:
        write_everything(a, "acme")
        a.commit()
    with uow_factory("T-GLOBEX") as b:
        assert contents(b) == EMPTY
        assert b.people.get("U-acme") is None and b.priorities.get(1) is None and b.teams.get("team-acme") is None
        write_everything(b, "globex")  # gets P-1, D-1, B-1 too
        b.commit()
    # One after the other: on SQLite a unit of work holds the write lock until it ends.
    for name, tag in [("T-ACME", "acme"), ("T-GLOBEX", "globex")]:
        with uow_factory(name) as uow:
            assert [p.title for p in uow.priorities.list()] == [tag]
            assert [d.what for d in uow.dependencies.list()] == [tag]
            assert [b.text for b in uow.blockers.list()] == [tag]
            assert [p.handle for p in uow.people.list()] == [f"U-{tag}"]
            assert [t.handle for t in uow.teams.list()] == [f"team-{tag}"]
            assert [e.subject for e in uow.events.list()] == [tag]
            assert uow.ids.current() == {"B": 1, "D": 1, "P": 1}
    assert workspaces(engine) == ["T-ACME", "T-GLOBEX"]


def test_ids_are_distinct_and_gapless(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        assert [uow.ids.next(Kind.PRIORITY) for _ in range(30)] == list(range(1, 31))
        assert uow.ids.next(Kind.DEPENDENCY) == 1
        uow.commit()
    for expected in range(31, 36):
        with uow_factory("acme") as uow:
            assert uow.ids.next(Kind.PRIORITY) == expected
            uow.commit()
    with uow_factory("acme") as uow:
        assert uow.ids.current() == {"D": 1, "P": 35}


def test_ensure_at_least_only_raises(uow_factory: SqlUnitOfWorkFactory) -> None:
    with uow_factory("acme") as uow:
        uow.ids.ensure_at_least(Kind.BLOCKER, 41)
        assert uow.ids.next(Kind.BLOCKER) == 42
        uow.ids.ensure_at_least(Kind.BLOCKER, 5)
        assert uow.ids.next(Kind.BLOCKER) == 43
        uow.ids.ensure_at_least(Kind.PRIORITY, 0)
        assert uow.ids.current() == {"B": 43, "P": 0}


def test_in_memory_sqlite_works() -> None:
    engine = make_engine("sqlite:///:memory:")
    factory = SqlUnitOfWorkFactory(engine)
    with factory("console") as uow:
        write_everything(uow, "x")
        uow.commit()
    with factory("console") as uow:
        assert uow.ids.current() == {"B": 1, "D": 1, "P": 1}
    assert workspaces(engine) == ["console"]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(DependencyRow)) == 1
    engine.dispose()
