"""The composition root: everything is built here from Settings, nothing at import time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from bot.settings import Settings
from core.ports import UnitOfWorkFactory
from storage.engine import make_engine
from storage.uow import SqlUnitOfWorkFactory


@dataclass
class Flotilla:
    settings: Settings
    engine: Engine
    uow_factory: UnitOfWorkFactory

    def close(self) -> None:
        self.engine.dispose()


def build(settings: Settings | None = None, database_url: str | None = None) -> Flotilla:
    settings = settings or Settings()
    engine = make_engine(database_url or settings.flotilla_database_url)
    return Flotilla(settings=settings, engine=engine, uow_factory=SqlUnitOfWorkFactory(engine))
