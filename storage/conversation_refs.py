"""Stored conversation references: what a chat adapter needs to speak first (proactive messages).

Adapter infrastructure rather than domain data, so it lives beside the unit of work instead of in
it: each call is its own short transaction, and a save is an idempotent upsert (the newest
reference, with its refreshed service URL, wins). References are kept per workspace like every
other record, and are not part of `flotilla export`: they are only valid for the platform's
install that produced them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage.migrate import ensure_schema
from storage.platform_store import PlatformStore
from storage.repos import dialect_insert
from storage.tables import ConversationRefRow, WorkspaceRow
from storage.uow import _workspace_id


@dataclass(frozen=True)
class StoredRef:
    kind: str
    key: str
    reference: dict[str, Any]
    name: str | None
    updated_at: datetime


class SqlConversationRefs(PlatformStore):
    """Conversation references of one platform (`teams`), in any workspace of the database."""

    def save(self, workspace: str, kind: str, key: str, reference: dict[str, Any], name: str | None = None) -> None:
        with self._session() as session:
            ws = _workspace_id(session, workspace, "UTC")
            values = {
                "workspace_id": ws, "platform": self.platform, "kind": kind, "key": key,
                "reference": reference, "name": name, "updated_at": datetime.now(UTC),
            }  # fmt: skip
            stmt = dialect_insert(session, ConversationRefRow).values(**values)
            changes = {k: v for k, v in values.items() if k in ("reference", "updated_at")}
            if name is not None:
                changes["name"] = name
            session.exec(stmt.on_conflict_do_update(index_elements=["workspace_id", "platform", "kind", "key"],
                                                    set_=changes))  # fmt: skip
            session.commit()

    def get(self, workspace: str, kind: str, key: str) -> StoredRef | None:
        with self._session() as session:
            row = session.exec(self._query(workspace).where(ConversationRefRow.kind == kind,
                                                            ConversationRefRow.key == key)).first()  # fmt: skip
            return _stored(row) if row is not None else None

    def list(self, workspace: str, kind: str | None = None) -> Sequence[StoredRef]:
        with self._session() as session:
            query = self._query(workspace)
            if kind is not None:
                query = query.where(ConversationRefRow.kind == kind)
            rows = session.exec(query.order_by(col(ConversationRefRow.kind), col(ConversationRefRow.key))).all()
            return [_stored(r) for r in rows]

    def _query(self, workspace: str) -> Any:
        return (
            select(ConversationRefRow)
            .join(WorkspaceRow, col(WorkspaceRow.id) == col(ConversationRefRow.workspace_id))
            .where(WorkspaceRow.name == workspace, ConversationRefRow.platform == self.platform)
        )


def _stored(row: ConversationRefRow) -> StoredRef:
    return StoredRef(kind=row.kind, key=row.key, reference=dict(row.reference), name=row.name,
                     updated_at=row.updated_at)  # fmt: skip


def workspaces_with_refs(engine: Engine, platform: str) -> list[str]:
    """Names of the workspaces where this platform has stored any reference (the ones to drain)."""
    ensure_schema(engine)
    with Session(engine) as session:
        query = (
            select(WorkspaceRow.name)
            .join(ConversationRefRow, col(WorkspaceRow.id) == col(ConversationRefRow.workspace_id))
            .where(ConversationRefRow.platform == platform)
            .distinct()
            .order_by(col(WorkspaceRow.name))
        )
        return list(session.exec(query).all())
