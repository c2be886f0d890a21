"""Two real processes hammering one database lose nothing and never share an id."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import Engine, func, select

from storage.engine import make_engine
from storage.tables import DependencyRow
from storage.uow import SqlUnitOfWorkFactory
from tests.integration.workers import request_dependencies

PER_PROCESS = 200


def test_two_processes_get_distinct_ids_and_lose_no_rows(database_url: str) -> None:
    """Both start on an empty, unmigrated database: they also race on the migration and on
    creating the workspace row."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(2)
    out = ctx.Queue()
    procs = [
        ctx.Process(target=request_dependencies, args=(database_url, "acme", PER_PROCESS, start, out)) for _ in range(2)
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    numbers = [n for result in results for n in result]
    assert len(numbers) == 2 * PER_PROCESS
    assert sorted(numbers) == list(range(1, 2 * PER_PROCESS + 1))  # distinct and gapless

    engine: Engine = make_engine(database_url)
    try:
        with SqlUnitOfWorkFactory(engine)("acme") as uow:
            assert [d.number for d in uow.dependencies.list()] == list(range(1, 2 * PER_PROCESS + 1))
            assert uow.ids.current() == {"D": 2 * PER_PROCESS}
        with engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(DependencyRow)) == 2 * PER_PROCESS
    finally:
        engine.dispose()


def test_two_processes_typing_dep_requests_get_distinct_ids(database_url: str) -> None:
    """The same, through the product: two people in two processes request dependencies at once."""
    from bot.console import Console
    from core.fakes import FixedClock
    from tests.integration.workers import NOW, request_through_the_core

    engine = make_engine(database_url)
    factory = SqlUnitOfWorkFactory(engine)
    setup = Console(factory, FixedClock(NOW), "admin", workspace="acme")
    for text in ('team create web "Web"', 'team create payments "Payments"', "team add web @ann @ben"):
        assert not setup.command(text).refused, text
    engine.dispose()

    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(2), ctx.Queue()
    procs = [
        ctx.Process(target=request_through_the_core, args=(database_url, "acme", who, 60, start, out))
        for who in ("ann", "ben")
    ]
    for p in procs:
        p.start()
    results = [out.get(timeout=180) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0

    ids = [i for result in results for i in result]
    assert sorted(ids, key=lambda s: int(s[2:])) == [f"D-{n}" for n in range(1, 121)]
    engine = make_engine(database_url)
    try:
        with SqlUnitOfWorkFactory(engine)("acme") as uow:
            deps = uow.dependencies.list()
            assert len(deps) == 120
            assert {d.requester_owner for d in deps} == {"ann", "ben"}
            assert sorted(d.what for d in deps) == sorted(f"{w} thing {i}" for w in ("ann", "ben") for i in range(60))
            assert len([e for e in uow.events.list() if e.kind == "dependency.requested"]) == 120
    finally:
        engine.dispose()


def _together(database_url: str, lines: list[tuple[str, str]], workspace: str) -> dict[str, bool]:
    """Run each (speaker, text) in its own process, released at the same instant."""
    from tests.integration.workers import say_once

    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Barrier(len(lines)), ctx.Queue()
    procs = [ctx.Process(target=say_once, args=(database_url, workspace, who, text, start, out)) for who, text in lines]
    for p in procs:
        p.start()
    results = dict(out.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    return results


def test_concurrent_commands_on_one_record_lose_no_update(database_url: str) -> None:
    """Read-decide-write commands from several replicas at once: every member added is kept, and a
    request is either accepted or declined, never both."""
    from bot.console import Console
    from core.fakes import FixedClock
    from tests.integration.workers import NOW

    engine = make_engine(database_url)
    setup = Console(SqlUnitOfWorkFactory(engine), FixedClock(NOW), "admin", workspace="race")
    for text in ('team create t "T"', 'team create p "P"', "team add t @ann @ben", "team add p @req",
                 '@req: dep request t "keys" --by +1w'):  # fmt: skip
        who, _, rest = text[1:].partition(": ") if text.startswith("@") else ("admin", "", text)
        assert not setup.command(rest, who).refused, text
    engine.dispose()

    added = _together(database_url, [("admin", f"team add t @m{i}") for i in range(6)], "race")
    assert all(added.values())
    answered = _together(database_url, [("ann", "dep accept D-1"), ("ben", 'dep decline D-1 "no"')], "race")
    assert sorted(answered.values()) == [False, True]  # exactly one of them wins

    engine = make_engine(database_url)
    try:
        with SqlUnitOfWorkFactory(engine)("race") as uow:
            team = uow.teams.get("t")
            assert team is not None and set(team.members) == {"ann", "ben"} | {f"m{i}" for i in range(6)}
            dep = uow.dependencies.get(1)
            assert dep is not None
            kinds = [e.kind for e in uow.events.list() if e.subject == "D-1"]
            assert kinds == ["dependency.requested", f"dependency.{dep.state.value}"]
    finally:
        engine.dispose()


def test_only_one_first_speaker_becomes_admin(database_url: str) -> None:
    results = _together(database_url, [(f"user{i}", "me tz Europe/Berlin") for i in range(5)], "fresh")
    assert all(results.values())
    engine = make_engine(database_url)
    try:
        with SqlUnitOfWorkFactory(engine)("fresh") as uow:
            assert len(uow.people.list()) == 5
            assert len([p for p in uow.people.list() if p.admin]) == 1
    finally:
        engine.dispose()
