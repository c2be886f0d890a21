"""Schema migrations, run from code: no alembic.ini at runtime, works on in-memory SQLite.

Every process may call `ensure_schema` at start. Concurrent upgrades are serialised by the
database itself: on PostgreSQL by an advisory lock taken in the migrating transaction, on SQLite
by the write lock that `BEGIN IMMEDIATE` (see storage.engine) takes. The loser of the race
then finds the schema already at head and does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, text

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# The pg_advisory_xact_lock key: a constant bigint that no other lock in this database uses.
ADVISORY_LOCK_KEY = 0x0F107111A

log = logging.getLogger(__name__)


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def _known(revision: str) -> bool:
    try:
        return _scripts().get_revision(revision) is not None
    except CommandError:
        return False


def head_revisions() -> set[str]:
    return set(_scripts().get_heads())


def current_revisions(engine: Engine) -> set[str]:
    """The revisions the database is at; empty for a database never migrated."""
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to `revision`, in one transaction."""
    _migrate(engine, lambda config: command.upgrade(config, revision))


def downgrade(engine: Engine, revision: str) -> None:
    _migrate(engine, lambda config: command.downgrade(config, revision))


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    with engine.connect() as connection, _sqlite_foreign_keys_off(connection), connection.begin():
        if connection.dialect.name == "postgresql":
            # Held until this transaction ends, so a second process waits here, then finds head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
        run(_config(connection))
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite batch migrations rebuild a table by copying it, dropping the original and renaming.
    With foreign keys on, that DROP would cascade into (delete) every row that references it, and
    the pragma is ignored inside a transaction: so switch it off before the migration begins."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys = ON")


def ensure_schema(engine: Engine) -> None:
    """Bring a new or older database to head; cheap (one query) when it already is there.

    A database migrated by a newer release (a rolling deploy) is left alone: this code does not
    know its revision, and migrations are written to stay compatible with the previous release.
    """
    current = current_revisions(engine)
    if current == head_revisions():
        return
    unknown = {rev for rev in current if not _known(rev)}
    if unknown:
        log.warning("database schema is at %s, newer than this release knows; not migrating", unknown)
        return
    upgrade(engine)
