"""Persistence for Flotilla: SQLModel tables, repositories, the unit of work and migrations.

Typical use, in the composition root:

engine = make_engine("sqlite:///flotilla.db")   # or postgresql://...
uow_factory = SqlUnitOfWorkFactory(engine)      # migrates the schema on first use
with uow_factory("T0123") as uow:
    ...
    uow.commit()
"""

from storage.engine import make_engine
from storage.migrate import ensure_schema, upgrade
from storage.uow import SqlUnitOfWork, SqlUnitOfWorkFactory, workspaces

__all__ = [
    "SqlUnitOfWork",
    "SqlUnitOfWorkFactory",
    "ensure_schema",
    "make_engine",
    "upgrade",
    "workspaces",
]
