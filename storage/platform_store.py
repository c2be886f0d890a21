"""What a chat platform's own stores share (conversation references, offered files): records of one
platform in any workspace of the database, each call its own short transaction beside the unit of
work, the schema brought to head on first use."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlmodel import Session

from storage.migrate import ensure_schema
from storage.uow import session_factory


class PlatformStore:
    def __init__(self, engine: Engine, platform: str) -> None:
        self.engine = engine
        self.platform = platform
        self._sessions = session_factory(engine)
        self._schema_ready = False

    def _session(self) -> Session:
        if not self._schema_ready:
            ensure_schema(self.engine)
            self._schema_ready = True
        return self._sessions()
