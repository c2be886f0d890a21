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
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    BLOCKED = "blocked"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


OPEN_DEP_STATES = frozenset({DepState.REQUESTED, DepState.PROPOSED, DepState.ACCEPTED, DepState.BLOCKED})


class DepMove(enum.StrEnum):
    """What can happen to a dependency; each command is one move (core.handlers.dependencies)."""

    ACCEPT = "accepted"
    PROPOSE = "proposed"
    AGREE = "agreed"
    REJECT = "rejected"
    COMMIT = "re-planned"
    DECLINE = "declined"
    BLOCK = "blocked"
    UNBLOCK = "unblocked"
    DELIVER = "delivered"
    CANCEL = "cancelled"


_ASKED = frozenset({DepState.REQUESTED, DepState.PROPOSED})
"""Waiting on an answer: asked for, or answered with another date."""

DEP_MOVES: dict[DepMove, tuple[frozenset[DepState], DepState | None]] = {
    DepMove.ACCEPT: (_ASKED, DepState.ACCEPTED),
    DepMove.PROPOSE: (_ASKED, DepState.PROPOSED),
    DepMove.AGREE: (frozenset({DepState.PROPOSED}), DepState.ACCEPTED),
    DepMove.REJECT: (frozenset({DepState.PROPOSED}), DepState.REQUESTED),
    DepMove.COMMIT: (frozenset({DepState.ACCEPTED}), DepState.ACCEPTED),
    DepMove.DECLINE: (_ASKED, DepState.DECLINED),
    DepMove.BLOCK: (_ASKED | {DepState.ACCEPTED}, DepState.BLOCKED),
    DepMove.UNBLOCK: (frozenset({DepState.BLOCKED}), None),
    DepMove.DELIVER: (frozenset({DepState.ACCEPTED}), DepState.DELIVERED),
    DepMove.CANCEL: (_ASKED | {DepState.ACCEPTED, DepState.BLOCKED}, DepState.CANCELLED),
}
"""The state machine: the states each move starts from, and where it leads (unblock: back to where
the dependency was when it was blocked; a re-plan stays accepted, with another committed date)."""


@dataclass(frozen=True)
class Replan:
    """One move of a committed date: from, to, why, by whom and when (`dep commit`, an agreed
    proposal). The dependency keeps them all, oldest first."""

    at: datetime
    by: str
    before: date | None
    after: date
    why: str | None = None


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
    tz: str | None = None
    """Their IANA zone: from Slack or Teams, or set with `me tz`; None when nobody told us."""
    admin: bool = False
    tz_pinned: bool = False
    """Set by `me tz`: the person chose their zone, so a platform's profile never overwrites it."""


@dataclass
class Team:
    handle: str
    name: str
    parent: str | None = None
    leads: list[str] = field(default_factory=list)
    members: list[str] = field(default_factory=list)
    channel: str | None = None
    archived: bool = False
    """Archived teams leave `team list` and the rhythm; their ids and history stay."""

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
    proposed: date | None = None
    """The provider's answer with another date (`dep propose`), while it waits on the requester."""
    proposed_reason: str | None = None
    replans: list[Replan] = field(default_factory=list)
    revision: int = 0
    """Counts the dependency's moves: a slip alert is about one revision (core.slips), and a later
    move (an unblock, another re-plan) makes it stale."""

    @property
    def id(self) -> str:
        return f"D-{self.number}"  # == ref(Kind.DEPENDENCY, n), without the enum look-up on hot paths

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_DEP_STATES

    def can(self, move: DepMove) -> bool:
        return self.state in DEP_MOVES[move][0]

    def target(self, move: DepMove) -> DepState:
        """Where `move` would take it."""
        to = DEP_MOVES[move][1]
        if to is not None:
            return to
        return self.blocked_from or (DepState.ACCEPTED if self.provider_owner else DepState.REQUESTED)

    def refusal(self, move: DepMove) -> str | None:
        """Why `move` can't happen now (one line for the person who tried), or None if it can."""
        if self.can(move):
            return None
        if move is DepMove.UNBLOCK:
            return f"{self.id} is not blocked (it is {self.state.value})."
        if move in (DepMove.AGREE, DepMove.REJECT):
            return f"{self.id} has no proposed date to answer (it is {self.state.value})."
        if move is DepMove.COMMIT:
            return f"{self.id} is {self.state.value}: only an accepted dependency can be re-planned."
        if move is DepMove.PROPOSE and self.state is DepState.ACCEPTED:
            return f'{self.id} is accepted already: move its committed date with `dep commit {self.id} <date> "<why>"`.'
        if self.state is self.target(move):
            return f"{self.id} is already {self.state.value}."
        return f"{self.id} is {self.state.value}, so it can't be {move.value}."

    def apply(self, move: DepMove, at: datetime) -> DepState:
        """Make the move (after `refusal` said it may happen); returns the state it left."""
        before, self.state = self.state, self.target(move)
        self.updated_at = at
        self.revision += 1
        return before


@dataclass
class SlipAlert:
    """One direct message about one change of a dependency (blocked, declined, overdue, re-planned
    late) to one owner of a priority it endangers: written `pending` when the change happens,
    `sent` or `dropped` (the change was undone first) by the scheduler's next tick (core.slips).
    (workspace, dependency, change, person) is unique: the exactly-once guarantee."""

    dependency: int
    change: str
    """`blocked:7` (the dependency's revision), `declined:3`, `replanned:9`, `overdue:2026-12-04`."""
    person: str
    created_at: datetime
    state: str = "pending"
    settled_at: datetime | None = None


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
