"""Commands: what a user asked for, already parsed. Imperative, immutable, platform-neutral.

People are handles (console name or platform user id); teams are handles; ids are numbers;
dates are unresolved DateSpecs (the core resolves them in the workspace's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.dates import DateSpec
from core.model import Status


@dataclass(frozen=True)
class Command:
    """Base class of every command."""


@dataclass(frozen=True)
class Me(Command):
    pass


@dataclass(frozen=True)
class AdminAdd(Command):
    person: str


@dataclass(frozen=True)
class AdminRemove(Command):
    person: str


@dataclass(frozen=True)
class TeamCreate(Command):
    handle: str
    name: str
    parent: str | None = None


@dataclass(frozen=True)
class TeamAdd(Command):
    team: str
    people: tuple[str, ...]
    lead: bool = False


@dataclass(frozen=True)
class TeamRemove(Command):
    team: str
    person: str


@dataclass(frozen=True)
class TeamShow(Command):
    team: str | None = None


@dataclass(frozen=True)
class TeamList(Command):
    pass


@dataclass(frozen=True)
class PriorityAdd(Command):
    title: str
    team: str | None = None
    owner: str | None = None
    parent: int | None = None
    due: DateSpec | None = None
    outcome: str | None = None
    org: bool = False
    """True for `--team org`: an org-level priority even when the caller has one team."""


@dataclass(frozen=True)
class PriorityUpdate(Command):
    number: int
    status: Status | None = None
    confidence: int | None = None
    progress: int | None = None
    note: str | None = None
    owner: str | None = None
    due: DateSpec | None = None


@dataclass(frozen=True)
class PriorityAlign(Command):
    number: int
    to: int


@dataclass(frozen=True)
class PriorityDone(Command):
    number: int


@dataclass(frozen=True)
class PriorityDrop(Command):
    number: int
    why: str


@dataclass(frozen=True)
class PriorityList(Command):
    team: str | None = None
    all: bool = False


@dataclass(frozen=True)
class PriorityShow(Command):
    number: int


@dataclass(frozen=True)
class DepRequest(Command):
    to_team: str
    what: str
    by: DateSpec
    for_priority: int | None = None
    team: str | None = None


@dataclass(frozen=True)
class DepAccept(Command):
    number: int
    owner: str | None = None
    commit: DateSpec | None = None


@dataclass(frozen=True)
class DepDecline(Command):
    number: int
    why: str


@dataclass(frozen=True)
class DepBlock(Command):
    number: int
    why: str


@dataclass(frozen=True)
class DepUnblock(Command):
    number: int


@dataclass(frozen=True)
class DepDone(Command):
    number: int


@dataclass(frozen=True)
class DepCancel(Command):
    number: int


@dataclass(frozen=True)
class DepList(Command):
    team: str | None = None
    direction: Literal["incoming", "outgoing"] | None = None


@dataclass(frozen=True)
class DepShow(Command):
    number: int


@dataclass(frozen=True)
class BlockerAdd(Command):
    text: str
    team: str | None = None
    on: str | None = None
    """A team handle, or an id such as "D-3" / "P-2" (upper-case prefix)."""


@dataclass(frozen=True)
class BlockerResolve(Command):
    number: int


@dataclass(frozen=True)
class BlockerList(Command):
    team: str | None = None


@dataclass(frozen=True)
class History(Command):
    team: str | None = None
    since: DateSpec | None = None


READ_COMMANDS: tuple[type[Command], ...] = (
    Me, TeamShow, TeamList, PriorityList, PriorityShow, DepList, DepShow, BlockerList, History,
)  # fmt: skip
