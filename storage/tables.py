"""SQLModel tables: one row shape per domain record, every row keyed by its workspace.

Enums are stored as their string values and converted in the repositories, so the schema
holds plain VARCHAR columns that a migration never has to alter when a state is added.
Tables whose primary key starts with `workspace_id` need no separate workspace index: the
primary key's index serves every per-workspace query.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
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

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], datetime | None] | None:
        """On SQLite, parse the stored text straight into an aware datetime: one C call per value
        instead of SQLAlchemy's parse, then this decorator's, then `replace` (which alone costs a
        microsecond). Loading a large workspace's snapshot reads over 100,000 of these."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        parse = datetime.fromisoformat
        fallback = super().result_processor(dialect, coltype)

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str) and len(value) == 26 and value[19] == ".":
                return parse(value + "+00:00")  # the shape we write: naive UTC, with microseconds
            # Anything else (a date alone, an offset, a `Z`: written by hand or another tool) the
            # slow, general way: SQLAlchemy's parse, then to UTC as process_result_value does.
            return self.process_result_value(fallback(value) if fallback is not None else value, dialect)

        return process


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
    tz: str | None = None
    """None: nobody told us their zone (migration 0006 made it optional)."""
    admin: bool = False
    tz_pinned: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    """The person chose their zone (`me tz`): a platform's profile must not overwrite it."""


class TeamRow(SQLModel, table=True):
    __tablename__ = "team"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    handle: str = Field(primary_key=True)
    name: str
    parent: str | None = None
    channel: str | None = None
    archived: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


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
    proposed: date | None = None
    proposed_reason: str | None = None
    replans: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON, sa_column_kwargs={"server_default": "[]"})
    revision: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class SlipAlertRow(SQLModel, table=True):
    """One slip alert to one person about one change of a dependency (core.slips): the primary key
    is the exactly-once guarantee across scheduler processes and restarts."""

    __tablename__ = "slip_alert"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    dependency: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    change: str = Field(primary_key=True)
    person: str = Field(primary_key=True)
    created_at: datetime = Field(sa_type=UtcDateTime)
    state: str = "pending"
    settled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


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


class ConversationRefRow(SQLModel, table=True):
    """Where the bot can speak first: a chat platform's conversation reference (JSON, as the
    platform's SDK serialises it) per user, channel, team or chat, refreshed on every activity."""

    __tablename__ = "conversation_ref"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    platform: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    """user (by platform person handle), channel, team or chat."""
    key: str = Field(primary_key=True)
    reference: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    name: str | None = None
    updated_at: datetime = Field(sa_type=UtcDateTime)


class OfferedFileRow(SQLModel, table=True):
    """A file offered to one person and not yet taken: a chat answer too long for a message (Teams
    `--json`), kept until they accept it (then uploaded) or decline it, or a day has passed."""

    __tablename__ = "offered_file"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    key: str = Field(primary_key=True)
    """Random, unguessable: it travels in the consent card and comes back when the person answers."""
    platform: str
    person: str
    """The only person who may take it (their platform handle)."""
    name: str
    content: str = Field(sa_type=Text)
    created_at: datetime = Field(sa_type=UtcDateTime)


class IdSequenceRow(SQLModel, table=True):
    """Last number handed out per (workspace, kind); bumped with UPDATE ... RETURNING."""

    __tablename__ = "id_sequence"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    last: int = 0


# --- the operating rhythm (migration 0003) -----------------------------------------------------


class RhythmRow(SQLModel, table=True):
    """A team's rhythm: its time zone and the two schedules (JSON, as core.rhythm.schedule_json)."""

    __tablename__ = "rhythm"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    team: str = Field(primary_key=True)
    tz: str = "UTC"
    paused: bool = False
    standup: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    weekly: dict[str, Any] | None = Field(default=None, sa_type=JSON)


class RhythmSkipRow(SQLModel, table=True):
    """A date (in the team's time zone) on which the team's rhythm does not run."""

    __tablename__ = "rhythm_skip"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    team: str = Field(primary_key=True)
    day: date = Field(primary_key=True)


class AwayRow(SQLModel, table=True):
    """A person out of office from `start` to `end` (both included)."""

    __tablename__ = "away"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    person: str = Field(primary_key=True)
    start: date = Field(primary_key=True)
    end: date


class CheckinRunRow(SQLModel, table=True):
    """One check-in run: (team, kind, period) is unique, so a run exists once whoever opens it."""

    __tablename__ = "checkin_run"
    __table_args__ = (_workspace_fk(), Index("ix_checkin_run_workspace_id_opens_at", "workspace_id", "opens_at"))

    workspace_id: int = Field(primary_key=True)
    team: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    day: date
    tz: str = "UTC"
    opens_at: datetime = Field(sa_type=UtcDateTime)
    closes_at: datetime = Field(sa_type=UtcDateTime)
    digest_at: datetime = Field(sa_type=UtcDateTime)
    prompted_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    digested_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed: bool = False
    questions: list[str] = Field(default_factory=list, sa_type=JSON)
    expected: list[str] = Field(default_factory=list, sa_type=JSON)
    away: list[str] = Field(default_factory=list, sa_type=JSON)
    reminded: list[str] = Field(default_factory=list, sa_type=JSON)
    priorities: dict[str, str] = Field(default_factory=dict, sa_type=JSON)


class CheckinResponseRow(SQLModel, table=True):
    """One person's answer to one run: unique per (run, person), replaced by an edit."""

    __tablename__ = "checkin_response"
    __table_args__ = (
        ForeignKeyConstraint(
            ["workspace_id", "team", "kind", "period"],
            ["checkin_run.workspace_id", "checkin_run.team", "checkin_run.kind", "checkin_run.period"],
            ondelete="CASCADE",
        ),
    )

    workspace_id: int = Field(primary_key=True)
    team: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    person: str = Field(primary_key=True)
    answered_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    answers: list[str] = Field(default_factory=list, sa_type=JSON)
    updates: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    late: bool = False
    blocker: int | None = None


class ClaimRow(SQLModel, table=True):
    """A rhythm step somebody took on. The primary key is the exactly-once guarantee: the first
    transaction to insert it does the step; every other process finds it and skips."""

    __tablename__ = "rhythm_claim"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    team: str = Field(primary_key=True)
    kind: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    step: str = Field(primary_key=True)
    zone: str = Field(default="", primary_key=True, sa_column_kwargs={"server_default": ""})
    """The time zone whose people the step is for (a rhythm asking each member in their own
    zone); "" for a step of the whole team."""
    claimed_at: datetime = Field(sa_type=UtcDateTime)
    outcome: str = "done"
    """done, or skipped (found after the grace window)."""


class OutboxRow(SQLModel, table=True):
    """A message to deliver. `key` is its idempotency key: unique per workspace."""

    __tablename__ = "outbox"
    __table_args__ = (
        _workspace_fk(),
        UniqueConstraint("workspace_id", "key", name="uq_outbox_workspace_id_key"),
        Index("ix_outbox_workspace_id_state_next_attempt_at", "workspace_id", "state", "next_attempt_at"),
        Index("ix_outbox_state_next_attempt_at", "state", "next_attempt_at"),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int
    key: str
    channel: str | None = None
    person: str | None = None
    thread: str | None = None
    payload: Any = Field(default_factory=list, sa_type=JSON)
    """The lines (a list), or {"lines", "offers"} when the message offers actions (core.outbox)."""
    state: str = "pending"
    attempts: int = 0
    next_attempt_at: datetime = Field(sa_type=UtcDateTime)
    created_at: datetime = Field(sa_type=UtcDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    error: str | None = None
    in_thread: str | None = None
    ephemeral: bool = False
    lease: str | None = None
    """The drainer holding the row (core.outbox.drain) until `lease_until`; NULL when nobody does."""
    lease_until: datetime | None = Field(default=None, sa_type=UtcDateTime)
    uncertain: bool = False


# --- adapter infrastructure: not domain records, but kept and migrated the same way ------------------

DEDUPE = Table(
    "dedupe",
    SQLModel.metadata,
    Column("key", String(255), primary_key=True),
    Column("claimed_at", UtcDateTime(), nullable=False),
    Index("ix_dedupe_claimed_at", "claimed_at"),
)
"""Keys of requests already handled (Slack event ids, clicks, submits; Teams activity ids): the first
process to insert one acts, every redelivery finds it taken (bot.dedupe)."""

SLACK_HOMES = Table(
    "flotilla_slack_homes",
    SQLModel.metadata,
    Column("workspace", String(64), primary_key=True),
    Column("user_id", String(64), primary_key=True),
    Column("opened_at", UtcDateTime(), nullable=False),
)
"""Who looked at their App Home lately: only theirs are republished on changes."""

SLACK_POSTS = Table(
    "flotilla_slack_posts",
    SQLModel.metadata,
    Column("workspace", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
    Column("channel", String(64), nullable=False),
    Column("ts", String(32), nullable=False),
)
"""Where an outbox message was posted in Slack (a digest): later answers go in its thread."""

SLACK_JOBS = Table(
    "flotilla_slack_jobs",
    SQLModel.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("workspace", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("leased_until", Float, nullable=True),
    Column("lease", String(32), nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    sqlite_autoincrement=True,  # ids never come back: a finished job's id is not a new job's
)
"""Typed Slack commands and mentions between their ack and their run (bot.slack.jobs)."""


# --- leaders: acknowledged risks and the weekly briefing (migration 0007) --------------------------


class RiskAckRow(SQLModel, table=True):
    """An acknowledged risk (core.acks.Ack): of one subject and one kind, or of every kind ("")."""

    __tablename__ = "risk_ack"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    subject: str = Field(primary_key=True)
    kind: str = Field(primary_key=True, default="")
    by: str
    until: date
    note: str
    at: datetime = Field(sa_type=UtcDateTime)
    scores: dict[str, int] = Field(default_factory=dict, sa_type=JSON)


class BriefingRow(SQLModel, table=True):
    """When a scope's weekly leader briefing goes out (core.briefing.BriefingSchedule)."""

    __tablename__ = "briefing"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    scope: str = Field(primary_key=True)
    """"org", or a team handle."""
    day: int
    at: str
    """HH:MM, local."""
    tz: str | None = None


class BriefingClaimRow(SQLModel, table=True):
    """One person's briefing of one scope and ISO week, taken on: the primary key is the exactly-once
    guarantee across processes, as for the rhythm's steps (ClaimRow)."""

    __tablename__ = "briefing_claim"
    __table_args__ = (_workspace_fk(),)

    workspace_id: int = Field(primary_key=True)
    scope: str = Field(primary_key=True)
    person: str = Field(primary_key=True)
    period: str = Field(primary_key=True)
    claimed_at: datetime = Field(sa_type=UtcDateTime)
    outcome: str = "sent"
    """sent, or skipped (found after the grace window)."""
