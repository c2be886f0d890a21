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
