"""Files offered to a person in chat, kept until they take them (an answer too long for a message).

Teams can only hand a bot's file to a person after they accept it (a file consent card); the answer
waits here in between, in the database, so that any replica can upload it and nothing is lost on a
restart. Like conversation references this is adapter infrastructure beside the unit of work: each
call is its own short transaction. A file is for one person only, and forgotten after a day.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from storage.platform_store import PlatformStore
from storage.tables import OfferedFileRow, WorkspaceRow
from storage.uow import _workspace_id

KEEP = timedelta(days=1)


@dataclass(frozen=True)
class OfferedFile:
    key: str
    person: str
    name: str
    content: str
    created_at: datetime


class SqlOfferedFiles(PlatformStore):
    """Offered files of one platform (`teams`), in any workspace of the database."""

    def offer(self, workspace: str, person: str, name: str, content: str, now: datetime) -> str:
        """Keep `content` for `person`; the key to ask for it by (and prune what is a day old)."""
        key = secrets.token_urlsafe(18)
        with self._session() as session:
            ws = _workspace_id(session, workspace, "UTC")
            session.exec(delete(OfferedFileRow).where(col(OfferedFileRow.created_at) < now - KEEP))
            session.add(OfferedFileRow(workspace_id=ws, key=key, platform=self.platform, person=person, name=name,
                                       content=content, created_at=now))  # fmt: skip
            session.commit()
        return key

    def get(self, workspace: str, key: str, person: str, now: datetime) -> OfferedFile | None:
        """The file, if it is still waiting (less than a day old) and it is `person`'s."""
        with self._session() as session:
            row = session.exec(
                select(OfferedFileRow)
                .join(WorkspaceRow, col(WorkspaceRow.id) == col(OfferedFileRow.workspace_id))
                .where(
                    WorkspaceRow.name == workspace,
                    OfferedFileRow.platform == self.platform,
                    OfferedFileRow.key == key,
                    OfferedFileRow.person == person,
                    col(OfferedFileRow.created_at) >= now - KEEP,
                )  # fmt: skip
            ).first()
            if row is None:
                return None
            return OfferedFile(row.key, row.person, row.name, row.content, row.created_at)

    def remove(self, workspace: str, key: str) -> None:
        with self._session() as session:
            ids = select(WorkspaceRow.id).where(WorkspaceRow.name == workspace).scalar_subquery()
            session.exec(delete(OfferedFileRow).where(col(OfferedFileRow.workspace_id) == ids,
                                                      col(OfferedFileRow.key) == key))  # fmt: skip
            session.commit()
