"""Requests already handled, for every chat adapter: the first process to insert a key acts, every
redelivery (Slack retrying an event, a double click, the Bot Connector delivering an activity
again) finds it taken. One table (storage.tables.DEDUPE), created by the migrations."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError

from storage.tables import DEDUPE

MAX_KEY = 255


class Dedupe:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.table = DEDUPE

    def claim(self, key: str, now: datetime) -> bool:
        """True for the first caller with this key, False for every later one (any process)."""
        try:
            with self.engine.begin() as conn:
                self.claim_in(conn, key, now)
        except IntegrityError:
            return False
        return True

    def claim_in(self, conn: Connection, key: str, now: datetime) -> None:
        """`claim` in the caller's transaction: IntegrityError when the key is taken."""
        conn.execute(insert(self.table).values(key=key[:MAX_KEY], claimed_at=now))

    def claim_new(self, conn: Connection, key: str, now: datetime) -> bool:
        """`claim_in` that answers False, instead of failing the caller's transaction, when the key
        is taken (INSERT … ON CONFLICT DO NOTHING): other work in that transaction goes on."""
        insert_ = sqlite_insert if conn.dialect.name == "sqlite" else postgresql_insert
        stmt = insert_(self.table).values(key=key[:MAX_KEY], claimed_at=now).on_conflict_do_nothing()
        return conn.execute(stmt.returning(self.table.c.key)).first() is not None

    def release(self, key: str) -> None:
        """Give a key back when the work it guarded failed, so that a retry may do it."""
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.key == key[:MAX_KEY]))

    def prune(self, before: datetime) -> int:
        """Forget keys older than any redelivery (Slack stops retrying after about an hour)."""
        with self.engine.begin() as conn:
            return int(conn.execute(delete(self.table).where(self.table.c.claimed_at < before)).rowcount or 0)
