"""Domain records. Plain dataclasses: storage maps them to rows, adapters render them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


class Status(enum.StrEnum):
    ON_TRACK = "on-track"
    AT_RISK = "at-risk"
    OFF_TRACK = "off-track"
    DONE = "done"
    DROPPED = "dropped"


CLOSED_STATUSES = frozenset({Status.DONE, Status.DROPPED})


class DepState(enum.StrEnum):
    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    BLOCKED = "blocked"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


OPEN_DEP_STATES = frozenset({DepState.REQUESTED, DepState.ACCEPTED, DepState.BLOCKED})


class BlockerState(enum.StrEnum):
    OPEN = "open"
    RESOLVED = "resolved"


class Kind(enum.StrEnum):
    """The typed id prefixes users see: P-12, D-7, B-3."""

    PRIORITY = "P"
    DEPENDENCY = "D"
    BLOCKER = "B"


def ref(kind: Kind, number: int) -> str:
    return f"{kind.value}-{number}"


@dataclass
class Workspace:
    name: str
    tz: str = "UTC"


@dataclass
class Person:
    handle: str
    name: str
    tz: str = "UTC"
    admin: bool = False


@dataclass
class Team:
    handle: str
    name: str
    parent: str | None = None
    leads: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    channel: str | None = None

    def has_member(self, handle: str) -> bool:
        return handle in self.members or handle in self.leads


@dataclass
class Priority:
    number: int
    title: str
    team: str | None
    created_at: datetime
    updated_at: datetime
    outcome: str | None = None
    owner: str | None = None
    parent: int | None = None
    rank: int = 1
    due: date | None = None
    status: Status = Status.ON_TRACK
    confidence: int | None = None
    progress: int = 0
    closed_reason: str | None = None

    @property
    def id(self) -> str:
        return f"P-{self.number}"  # == ref(Kind.PRIORITY, n), without the enum look-up on hot paths

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES


@dataclass
class Dependency:
    number: int
    from_team: str
    to_team: str
    what: str
    needed_by: date
    created_at: datetime
    updated_at: datetime
    for_priority: int | None = None
    state: DepState = DepState.REQUESTED
    committed: date | None = None
    blocked_reason: str | None = None
    blocked_from: DepState | None = None
    declined_reason: str | None = None
    requester_owner: str | None = None
    provider_owner: str | None = None
    answered_at: datetime | None = None
    delivered_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"D-{self.number}"  # == ref(Kind.DEPENDENCY, n), without the enum look-up on hot paths

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_DEP_STATES


@dataclass
class Blocker:
    number: int
    text: str
    raised_by: str
    raised_at: datetime
    team: str | None = None
    on: str | None = None
    state: BlockerState = BlockerState.OPEN
    resolved_by: str | None = None
    resolved_at: datetime | None = None

    @property
    def id(self) -> str:
        return f"B-{self.number}"  # == ref(Kind.BLOCKER, n), without the enum look-up on hot paths


@dataclass
class Event:
    """One change, with who made it and when: the audit trail, history and trends."""

    at: datetime
    actor: str
    kind: str
    subject: str
    data: dict[str, Any] = field(default_factory=dict)
    seq: int | None = None
