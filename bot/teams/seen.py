"""Activities already handled, so that a Bot Framework redelivery changes nothing and sends nothing.

The Bot Connector can deliver the same activity twice (same `id` in the same conversation), for
example when the bot answered too slowly the first time. Before a message or an invoke is handled,
its (conversation id, activity id) is claimed here: the first process to insert the key acts, every
later delivery (any replica) finds it taken and is a no-op. Claims are durable (the database,
like bot.slack.store's) and forgotten after a day, long after the connector stops retrying.

The keys live in the same table as Slack's (storage.dedupe), created by the migrations.

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

from sqlalchemy import Engine

from storage.dedupe import Dedupe
from storage.migrate import ensure_schema

KEEP = timedelta(days=1)
"""How long a claim is kept: the connector retries within minutes; a day is ample."""
PRUNE_EVERY = timedelta(hours=1)


def seen_key(conversation_id: str, activity_id: str) -> str:
    """A fixed-length key: Teams conversation ids can be long (`a:1...`, `;messageid=`)."""
    return hashlib.sha256(f"{conversation_id}\n{activity_id}".encode()).hexdigest()


class SeenLog(Protocol):
    def claim(self, key: str, now: datetime) -> bool: ...

    def release(self, key: str) -> None: ...


class SeenActivities(Dedupe):
    """Claims of handled activities in Flotilla's database, forgotten after a day."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine)
        self._pruned: datetime | None = None
        self._lock = threading.Lock()

    def create_tables(self) -> None:
        """The table is the migrations' (storage.migrate): brought to head if need be."""
        ensure_schema(self.engine)

    def claim(self, key: str, now: datetime) -> bool:
        self._maybe_prune(now)
        return super().claim(key, now)

    def _maybe_prune(self, now: datetime) -> None:
        with self._lock:
            if self._pruned is not None and now - self._pruned < PRUNE_EVERY:
                return
            self._pruned = now
        self.prune(now - KEEP)
