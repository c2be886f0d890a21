"""Engines for the two supported databases: SQLite (one process) and PostgreSQL (replicas)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "flotilla_read_only"
"""Execution option for a connection that only reads: `engine.connect().execution_options(**{READ_ONLY: True})`."""

_PG_SCHEMES = ("postgres://", "postgresql://")


def normalize_url(url: str) -> str:
    """Point bare PostgreSQL URLs (as Heroku-style hosts hand them out) at the psycopg 3 driver."""
    for scheme in _PG_SCHEMES:
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme) :]
    return url


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; extra keyword arguments go to `create_engine` (echo=True, ...)."""
    sa_url = make_url(normalize_url(url))
    backend = sa_url.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(sa_url, **kwargs)
    if backend == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(sa_url, **kwargs)
    raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")


def _sqlite_engine(sa_url: URL, **kwargs: Any) -> Engine:
    database = sa_url.database or ""
    memory = database in ("", ":memory:") or ":memory:" in database or sa_url.query.get("mode") == "memory"
    if memory:
        # One shared connection, or every checkout would see a new empty database.
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    engine = create_engine(sa_url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module: it would not BEGIN before a
        # SELECT, and we want BEGIN IMMEDIATE (below) so writers queue instead of deadlocking.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = ON")
            if not memory:
                _enable_wal(cursor)
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        # Take the write lock up front: two transactions that both read and then write would
        # otherwise each hold a read lock and fail with "database is locked" on upgrade.
        # A connection marked READ_ONLY only reads: it begins without the lock (WAL readers never
        # wait), so it may even run while the same thread holds the lock in another transaction.
        read_only = connection.get_execution_options().get(READ_ONLY)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def _enable_wal(cursor: Any) -> None:
    """Switch a file database to write-ahead logging (it stays so). The switch needs an exclusive
    lock and SQLite answers "database is locked" at once, without waiting `busy_timeout`, when
    another process holds one (as when two processes open a new file together), so retry."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    delay = 0.005
    while True:
        try:
            if _journal_mode(cursor, "PRAGMA journal_mode") == "wal":
                return
            if _journal_mode(cursor, "PRAGMA journal_mode = WAL") == "wal":
                return
            problem = "journal_mode stayed unchanged"  # answered with the old mode: not switched
        except sqlite3.OperationalError as error:
            if "locked" not in str(error):
                raise
            problem = str(error)
        if time.monotonic() > deadline:
            raise sqlite3.OperationalError(f"could not switch to WAL: {problem}")
        time.sleep(delay)
        delay = min(delay * 2, 0.2)


def _journal_mode(cursor: Any, pragma: str) -> str:
    return str(cursor.execute(pragma).fetchone()[0]).lower()


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
