"""The composition root: everything is built here from Settings, nothing at import time."""

from __future__ import annotations

import gc
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.llm import build_summarizer
from bot.settings import Settings
from core.context import Services
from core.ports import UnitOfWorkFactory
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory


@dataclass
class Flotilla:
    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory
    services: Services = field(default_factory=Services)
    """Optional helpers handed to every command (the LLM summarizer when OPENAI_API_KEY is set)."""

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings | None = None, database_url: str | None = None) -> Flotilla:
    settings = settings or Settings()
    engine = make_engine(database_url or settings.flotilla_database_url)
    services = Services(summarizer=build_summarizer(settings))
    return Flotilla(settings=settings, engine=engine, uow_factory=SqlUnitOfWorkFactory(engine), services=services)


YOUNG_COLLECTION_AFTER = 10_000
"""Allocations between two young-generation collections (CPython's default is 700)."""


def settle_heap() -> None:
    """Once per process, after start-up: tune the garbage collector for a long-running bot.

    A snapshot of a large organisation allocates a few hundred thousand objects, none of them in
    reference cycles. With CPython's defaults that triggers about 600 collections per `risks --all`
    on 10,000 people, some of them full ones that walk every imported library's objects: 40% of
    the command's time (BENCHMARKS.md). So: collect once and freeze what start-up allocated (modules,
    the app: they live as long as the process), and collect the young generation every 10,000
    allocations instead of 700. Garbage is still collected, just in fewer, larger passes.
    """
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_AFTER, older, oldest)
