"""Activities already handled, so that a Bot Framework redelivery changes nothing and sends nothing.

The Bot Connector can deliver the same activity twice (same `id` in the same conversation), for
example when the bot answered too slowly the first time. Before a message or an invoke is handled,
its (conversation id, activity id) is claimed here: the first process to insert the key acts, every
later delivery (any replica) finds it taken and is a no-op. Claims are durable (the database,
like bot.slack.store's) and forgotten after a day, long after the connector stops retrying.

The table is adapter infrastructure, not domain data: it has its own MetaData and is created at
start (`create_tables`, CREATE TABLE IF NOT EXISTS semantics), not by an Alembic migration.

A claim is not given back when its turn fails: the command may have committed before the failure
(a reply that could not be sent), and running it again is worse than asking the person to retype
it (they are told so). The one claim that is released is a conversation's welcome (bot.teams.
handler): when the app is removed there, so that installing it again says hello again.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import Column, DateTime, Engine, MetaData, String, Table, delete, insert
from sqlalchemy.exc import IntegrityError

SEEN_TABLE = "flotilla_teams_seen"
KEEP = timedelta(days=1)
"""How long a claim is kept: the connector retries within minutes; a day is ample."""
PRUNE_EVERY = timedelta(hours=1)


def seen_key(conversation_id: str, activity_id: str) -> str:
    """A fixed-length key: Teams conversation ids can be long (`a:1...`, `;messageid=`)."""
    return hashlib.sha256(f"{conversation_id}\n{activity_id}".encode()).hexdigest()


class SeenLog(Protocol):
    def claim(self, key: str, now: datetime) -> bool: ...

    def release(self, key: str) -> None: ...


class SeenActivities:
    """Claims of handled activities in Flotilla's database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.metadata = MetaData()
        self.table = Table(
            SEEN_TABLE,
            self.metadata,
            Column("key", String(64), primary_key=True),
            Column("claimed_at", DateTime(timezone=True), nullable=False, index=True),
        )
        self._pruned: datetime | None = None
        self._lock = threading.Lock()

    def create_tables(self) -> None:
        self.metadata.create_all(self.engine, checkfirst=True)

    def claim(self, key: str, now: datetime) -> bool:
        """True for the first caller with this key, False for every later one (any process)."""
        self._maybe_prune(now)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(self.table).values(key=key, claimed_at=now))
        except IntegrityError:
            return False
        return True

    def release(self, key: str) -> None:
        """Forget a claim, so that the next claim of `key` wins (a reinstall is welcomed again)."""
        with self.engine.begin() as conn:
            conn.execute(delete(self.table).where(self.table.c.key == key))

    def prune(self, before: datetime) -> int:
        with self.engine.begin() as conn:
            return conn.execute(delete(self.table).where(self.table.c.claimed_at < before)).rowcount or 0

    def _maybe_prune(self, now: datetime) -> None:
        with self._lock:
            if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
                return
            self._pruned = now
        self.prune(now - KEEP)
