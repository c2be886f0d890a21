"""The composition root: everything is built here from Settings, nothing at import time."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from bot.llm import build_summarizer
from bot.settings import Settings
from core.ports import UnitOfWorkFactory
from core.service import Services
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
