"""The outbox across workspaces: what the senders look for (who has something due, and which
platform owns it), what operators read and retry (`flotilla outbox`), what `/metrics` counts.

Each function is one short statement (or one short transaction for `retry`); none holds a lock
while anything is sent. The per-workspace work itself (claim, send, record) is core.outbox.drain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, case, func, select, update

from core.ports import FAILED, PENDING, OutboxMessage
from core.service import PLATFORM
from storage.engine import READ_ONLY
from storage.migrate import ensure_schema
from storage.rhythm_repos import _message
from storage.tables import OutboxRow, SettingRow, WorkspaceRow

CONSOLE = "console"
"""The platform of a workspace no chat platform has claimed (core.service.PLATFORM unset)."""

_outbox: Any = OutboxRow.__table__  # type: ignore[attr-defined]
_workspace: Any = WorkspaceRow.__table__  # type: ignore[attr-defined]
_setting: Any = SettingRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Waiting:
    """A workspace with pending messages: whose platform it is, when the first one can be claimed
    (`due`: its next attempt, or the end of the lease a drainer holds on it), and when the first
    one falls due at all (`ready`, leases or not: a drain under way still has it to send)."""

    workspace: str
    platform: str
    due: datetime
    ready: datetime


@dataclass(frozen=True)
class Row:
    """One outbox row as an operator sees it."""

    workspace: str
    platform: str
    message: OutboxMessage


def _platforms(conn: Any) -> dict[int, str]:
    """Workspace id -> the platform that owns it (one small read; JSON values are not groupable on
    PostgreSQL, so the join happens here)."""
    stmt = select(_setting.c.workspace_id, _setting.c.value).where(_setting.c.key == PLATFORM)
    return {ws: _platform(value) for ws, value in conn.execute(stmt).all()}


def _names(conn: Any) -> dict[int, str]:
    return dict(conn.execute(select(_workspace.c.id, _workspace.c.name)).all())


def _platform(value: Any) -> str:
    return value if isinstance(value, str) and value else CONSOLE


def _reading(engine: Engine) -> Any:
    """A connection that only reads: on SQLite it never waits for (or takes) the write lock."""
    return engine.connect().execution_options(**{READ_ONLY: True})


def waiting(engine: Engine) -> list[Waiting]:
    """Every workspace with pending messages, and the earliest time one of them is due (a lease
    that has not ended yet is not looked at: its holder records it, or it is due when it ends)."""
    leased = _outbox.c.lease_until.is_not(None) & (_outbox.c.lease_until > _outbox.c.next_attempt_at)
    claimable = case((leased, _outbox.c.lease_until), else_=_outbox.c.next_attempt_at)
    stmt = (
        select(_outbox.c.workspace_id, func.min(claimable), func.min(_outbox.c.next_attempt_at))
        .where(_outbox.c.state == PENDING)
        .group_by(_outbox.c.workspace_id)
    )
    with _reading(engine) as conn:
        found = conn.execute(stmt).all()
        platforms = _platforms(conn) if found else {}
        names = _names(conn) if found else {}
    out = [Waiting(names[ws], platforms.get(ws, CONSOLE), _utc(due), _utc(ready))
           for ws, due, ready in found if ws in names]  # fmt: skip
    return sorted(out, key=lambda w: w.due)


def rows(engine: Engine, state: str, workspace: str | None = None, limit: int = 1000) -> list[Row]:
    """Rows in one state (pending: what waits; failed: what was set aside), oldest first."""
    ensure_schema(engine)
    stmt = select(_outbox).where(_outbox.c.state == state).order_by(_outbox.c.id).limit(limit)
    if workspace is not None:
        ws = select(_workspace.c.id).where(_workspace.c.name == workspace).scalar_subquery()
        stmt = stmt.where(_outbox.c.workspace_id == ws)
    with _reading(engine) as conn:
        found = conn.execute(stmt).all()
        platforms = _platforms(conn)
        names = _names(conn)
    out = []
    for r in found:
        row = OutboxRow(**r._asdict())
        out.append(Row(workspace=names.get(r.workspace_id, "?"), platform=platforms.get(r.workspace_id, CONSOLE),
                       message=_message(row)))  # fmt: skip
    return out


def retry(engine: Engine, now: datetime, ids: Sequence[int] | None = None, workspace: str | None = None) -> int:
    """Put set-aside rows back in line, due now, with their attempts counted from zero (`ids`, or
    every set-aside row of `workspace`, or of every workspace); how many were put back."""
    ensure_schema(engine)
    where = [_outbox.c.state == FAILED]
    if ids is not None:
        where.append(_outbox.c.id.in_(list(ids)))
    if workspace is not None:
        ws = select(_workspace.c.id).where(_workspace.c.name == workspace).scalar_subquery()
        where.append(_outbox.c.workspace_id == ws)
    stmt = update(_outbox).where(*where).values(state=PENDING, attempts=0, next_attempt_at=now, lease=None,
                                                lease_until=None)  # fmt: skip
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount or 0)


@dataclass(frozen=True)
class Stats:
    pending: int
    oldest_pending: datetime | None
    set_aside: int


def stats(engine: Engine) -> dict[str, Stats]:
    """Per platform: how many wait, since when the oldest waits, how many were set aside."""
    stmt = (
        select(_outbox.c.workspace_id, _outbox.c.state, func.count(), func.min(_outbox.c.created_at))
        .where(_outbox.c.state.in_([PENDING, FAILED]))
        .group_by(_outbox.c.workspace_id, _outbox.c.state)
    )
    with _reading(engine) as conn:
        found = conn.execute(stmt).all()
        platforms = _platforms(conn) if found else {}
    out: dict[str, Stats] = {}
    for ws, state, count, oldest in found:
        platform = platforms.get(ws, CONSOLE)
        was = out.get(platform, Stats(0, None, 0))
        if state == PENDING:
            first = min((t for t in (was.oldest_pending, _utc(oldest)) if t is not None), default=None)
            out[platform] = Stats(was.pending + int(count), first, was.set_aside)
        else:
            out[platform] = Stats(was.pending, was.oldest_pending, was.set_aside + int(count))
    return out


def _utc(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite aggregates (min) come back as the stored text
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)  # type: ignore[no-any-return]
