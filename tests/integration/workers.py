"""Code run in child processes by the concurrency tests (importable, as `spawn` requires)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from multiprocessing.queues import Queue
from multiprocessing.synchronize import Barrier

from core.model import Dependency, Kind
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def request_dependencies(url: str, workspace: str, count: int, start: Barrier, out: Queue[list[int]]) -> None:
    """Open `count` units of work, each taking the next D number and saving that dependency."""
    engine = make_engine(url)
    factory = SqlUnitOfWorkFactory(engine)
    numbers: list[int] = []
    start.wait(timeout=60)
    try:
        for i in range(count):
            with factory(workspace) as uow:
                number = uow.ids.next(Kind.DEPENDENCY)
                uow.dependencies.save(
                    Dependency(
                        number=number,
                        from_team="web",
                        to_team="payments",
                        what=f"thing {i}",
                        needed_by=date(2026, 4, 1),
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )
                uow.commit()
            numbers.append(number)
    finally:
        out.put(numbers)
        engine.dispose()


def request_through_the_core(
    url: str, workspace: str, speaker: str, count: int, start: Barrier, out: Queue[list[str]]
) -> None:
    """Type `count` dep requests as `speaker` through the real conversation flow (grammar -> core -> SQL)."""
    from bot.console import Console
    from core.fakes import FixedClock

    engine = make_engine(url)
    console = Console(SqlUnitOfWorkFactory(engine), FixedClock(NOW), speaker, workspace=workspace)
    ids: list[str] = []
    start.wait(timeout=60)
    try:
        for i in range(count):
            outcome = console.command(f'dep request payments "{speaker} thing {i}" --by +2w --team web')
            assert not outcome.refused, outcome.reply.lines
            ids.append(outcome.reply.data["id"])
    finally:
        out.put(ids)
        engine.dispose()


def say_once(url: str, workspace: str, speaker: str, text: str, start: Barrier, out: Queue[tuple[str, bool]]) -> None:
    """Say one line as `speaker`, all processes released together by the barrier."""
    from bot.console import Console
    from core.fakes import FixedClock

    engine = make_engine(url)
    console = Console(SqlUnitOfWorkFactory(engine), FixedClock(NOW), speaker, workspace=workspace)
    try:
        start.wait(timeout=60)
        out.put((speaker, not console.command(text).refused))
    finally:
        engine.dispose()
