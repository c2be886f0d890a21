"""Commands: what a user asked for, already parsed. Imperative, immutable, platform-neutral.

People are handles (console name or platform user id); teams are handles; ids are numbers;
dates are unresolved DateSpecs (the core resolves them in the workspace's time zone).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
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
class MeTz(Command):
    tz: str | None = None
    """An IANA zone as typed; None means: show my zone."""


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
class TeamRename(Command):
    team: str
    name: str


@dataclass(frozen=True)
class TeamDemote(Command):
    team: str
    person: str


@dataclass(frozen=True)
class TeamMove(Command):
    team: str
    parent: str | None
    """None: to the top of the tree (`--parent none`)."""


@dataclass(frozen=True)
class TeamArchive(Command):
    team: str


@dataclass(frozen=True)
class TeamUnarchive(Command):
    team: str


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
class DepPropose(Command):
    number: int
    date: DateSpec
    why: str | None = None


@dataclass(frozen=True)
class DepAgree(Command):
    number: int


@dataclass(frozen=True)
class DepReject(Command):
    number: int
    why: str


@dataclass(frozen=True)
class DepCommit(Command):
    number: int
    date: DateSpec
    why: str


@dataclass(frozen=True)
class DepOwner(Command):
    number: int
    person: str


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


@dataclass(frozen=True)
class Risks(Command):
    team: str | None = None
    all: bool = False
    org: bool = False
    """True for `--team org`: the whole organisation even when the caller has one team."""


@dataclass(frozen=True)
class RisksThresholds(Command):
    settings: tuple[str, ...] = ()
    """`name=value` pairs as typed; none means: show the thresholds."""


@dataclass(frozen=True)
class RisksAck(Command):
    subject: str
    """An id ("D-7", upper-case prefix) or a team handle."""
    until: DateSpec
    note: str | None
    """None (a briefing's Renew button): keep the note of the acknowledgement being renewed."""
    kind: str | None = None
    """A RiskKind value; None: every risk the subject has now."""


@dataclass(frozen=True)
class RisksUnack(Command):
    subject: str
    kind: str | None = None


@dataclass(frozen=True)
class RisksAcks(Command):
    pass


@dataclass(frozen=True)
class Briefing(Command):
    team: str | None = None
    org: bool = False
    """True for `--team org`: the organisation's briefing even when the caller has one team."""


@dataclass(frozen=True)
class RhythmSetBriefing(Command):
    day: int
    at: time
    team: str | None = None
    org: bool = False
    tz: str | None = None
    """An IANA zone, "member" (each recipient's own), or None (the team's zone; org: the workspace's)."""


@dataclass(frozen=True)
class Summary(Command):
    team: str | None = None
    org: bool = False
    """True for `--team org`: the whole organisation even when the caller has one team."""


@dataclass(frozen=True)
class Map(Command):
    team: str | None = None
    org: bool = False
    """True for `--team org`: the whole organisation even when the caller has one team."""


@dataclass(frozen=True)
class Standup(Command):
    answers: tuple[str, ...] = ()
    """In question order; none means: show me the form."""
    team: str | None = None


@dataclass(frozen=True)
class Checkin(Command):
    number: int | None = None
    """The priority answered for; None means: show me the form."""
    status: Status | None = None
    confidence: int | None = None
    progress: int | None = None
    note: str | None = None


MEMBER_TZ = "member"
"""`rhythm set ... --tz member`: each member at that local time in their own zone."""


@dataclass(frozen=True)
class RhythmSetStandup(Command):
    """Options left out keep their current value; a team's first stand-up needs days and at."""

    days: tuple[int, ...] | None = None
    at: time | None = None
    team: str | None = None
    tz: str | None = None
    """An IANA zone, or MEMBER_TZ."""
    remind: int | None = None
    """Minutes after the prompt."""
    digest: time | None = None
    questions: tuple[str, ...] | None = None


@dataclass(frozen=True)
class RhythmSetWeekly(Command):
    """Options left out keep their current value; a team's first weekly check-in needs day and at."""

    day: int | None = None
    at: time | None = None
    team: str | None = None
    tz: str | None = None
    """An IANA zone, or MEMBER_TZ."""
    remind: int | None = None
    digest: time | None = None


@dataclass(frozen=True)
class RhythmShow(Command):
    team: str | None = None


@dataclass(frozen=True)
class RhythmPause(Command):
    team: str | None = None


@dataclass(frozen=True)
class RhythmResume(Command):
    team: str | None = None


@dataclass(frozen=True)
class RhythmSkip(Command):
    day: DateSpec
    team: str | None = None


@dataclass(frozen=True)
class Away(Command):
    start: DateSpec
    end: DateSpec


@dataclass(frozen=True)
class Back(Command):
    pass


READ_COMMANDS: tuple[type[Command], ...] = (
    Me, TeamShow, TeamList, PriorityList, PriorityShow, DepList, DepShow, BlockerList, History,
    Risks, RhythmShow, RisksAcks, Briefing,
)  # fmt: skip
"""The reads that take `--json`."""


def is_read(cmd: Command) -> bool:
    """Whether a command only looks (the reads, summaries, forms shown, settings shown): in a
    workspace that does not exist yet it answers as for an empty one and creates nothing."""
    if isinstance(cmd, (*READ_COMMANDS, Summary, Map)):
        return True
    if isinstance(cmd, Standup):
        return not cmd.answers
    if isinstance(cmd, Checkin):
        return cmd.number is None
    if isinstance(cmd, RisksThresholds):
        return not cmd.settings
    if isinstance(cmd, MeTz):
        return cmd.tz is None
    return False
