"""SQLModel tables: one row shape per domain record, every row keyed by its workspace.

Enums are stored as their string values and converted in the repositories, so the schema
holds plain VARCHAR columns that a migration never has to alter when a state is added.
Tables whose primary key starts with `workspace_id` need no separate workspace index: the
primary key's index serves every per-workspace query.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, ForeignKeyConstraint, Index
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# Named constraints, so that later migrations (batch mode on SQLite) can drop or alter them.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """TIMESTAMP WITH TIME ZONE that takes and gives back UTC-aware datetimes on every backend.

    SQLite keeps no offset (it would silently drop a non-UTC offset), so values are converted to
    UTC before they are written and marked UTC when read. A naive datetime is refused.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: storage takes UTC-aware datetimes only")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _workspace_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE")


class WorkspaceRow(SQLModel, table=True):
    __tablename__ = "workspace"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    tz: str = "UTC"
    created_at: datetime = Field(sa_type=UtcDateTime)


class PersonRow(SQLModel, table=True):
    __tablename__ = "person"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    handle: str = Field(primary_key=True)
    name: str
    tz: str = "UTC"
    admin: bool = False


class TeamRow(SQLModel, table=True):
    __tablename__ = "team"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    handle: str = Field(primary_key=True)
    name: str
    parent: str | None = None
    channel: str | None = None


class TeamMemberRow(SQLModel, table=True):
    """One row per (team, person). `members` and `leads` are separate ordered lists in the domain
    and a person may be in either or both, so each list keeps its own flag and position."""

    __tablename__ = "team_member"
    __table_args__ = (
        ForeignKeyConstraint(["workspace_id", "team"], ["team.workspace_id", "team.handle"], ondelete="CASCADE"),
    )

    workspace_id: int = Field(primary_key=True)
    team: str = Field(primary_key=True)
    person: str = Field(primary_key=True)
    is_member: bool = False
    is_lead: bool = False
    position: int | None = None
    """Order within Team.members (None when not a member)."""
    lead_position: int | None = None
    """Order within Team.leads (None when not a lead)."""


class PriorityRow(SQLModel, table=True):
    __tablename__ = "priority"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    title: str
    team: str | None = None
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    outcome: str | None = None
    owner: str | None = None
    parent: int | None = None
    rank: int = 1
    due: date | None = None
    status: str = "on-track"
    confidence: int | None = None
    progress: int = 0
    closed_reason: str | None = None


class DependencyRow(SQLModel, table=True):
    __tablename__ = "dependency"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    from_team: str
    to_team: str
    what: str
    needed_by: date
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    for_priority: int | None = None
    state: str = "requested"
    committed: date | None = None
    blocked_reason: str | None = None
    blocked_from: str | None = None
    declined_reason: str | None = None
    requester_owner: str | None = None
    provider_owner: str | None = None
    answered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    delivered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class BlockerRow(SQLModel, table=True):
    __tablename__ = "blocker"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    number: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    text: str
    raised_by: str
    raised_at: datetime = Field(sa_type=UtcDateTime)
    team: str | None = None
    on: str | None = None
    state: str = "open"
    resolved_by: str | None = None
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class EventRow(SQLModel, table=True):
    """The audit trail. `id` is global and only grows: it is the domain's Event.seq."""

    __tablename__ = "event"
    __table_args__ = (
        _workspace_fk(),
        Index("ix_event_workspace_id_id", "workspace_id", "id"),
        Index("ix_event_workspace_id_at", "workspace_id", "at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int
    at: datetime = Field(sa_type=UtcDateTime)
    actor: str
    kind: str
    subject: str
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)


class SettingRow(SQLModel, table=True):
    """Per-workspace settings by key (risk thresholds and the like), values as JSON."""

    __tablename__ = "workspace_setting"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    key: str = Field(primary_key=True)
    value: Any = Field(sa_type=JSON)


class IdSequenceRow(SQLModel, table=True):
    """Last number handed out per (workspace, kind); bumped with UPDATE ... RETURNING."""

    __tablename__ = "id_sequence"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    last: int = 0
