"""What a command runs with: who speaks, when and where (Context), the outside helpers wired in
(Services), and what a handler gets (Call). A leaf of the core: the service that dispatches
commands and the handlers it dispatches to both stand on it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from core import rules
from core.errors import InvalidInput
from core.model import Event, Kind, Person
from core.ports import Summarizer, UnitOfWork


@dataclass(frozen=True)
class PersonInfo:
    """What an adapter knows of a chat user: handle (console name or platform id), name, tz
    (None when the platform did not say)."""

    handle: str
    name: str
    tz: str | None = None
    """None: the platform did not say (a person's zone is then left as it is, or none)."""
    name_known: bool = False
    """The platform vouches for `name` now (a Teams sender's `from.name`, the roster): a person on
    record takes it. False: `name` only names someone new (a console handle, a mention's text, an
    id standing in for a name the platform left out)."""
    tz_known: bool = False
    """Likewise for `tz` (Teams' clientInfo time zone): a person on record follows it, unless they
    chose their own with `me tz` (`tz_pinned`)."""


@dataclass(frozen=True)
class Context:
    actor: PersonInfo
    now: datetime
    channel: str | None = None
    """The chat channel the command came from (bound as home by `team create`)."""
    people: tuple[PersonInfo, ...] = field(default_factory=tuple)
    """People the command mentions, as the adapter's directory knows them."""
    platform: str | None = None
    """The chat platform the command came through ("slack", "teams"); None for the console. The
    first command from a platform records it as the workspace's owner (see PLATFORM)."""


@dataclass(frozen=True)
class Services:
    """Optional outside helpers the composition root wires in (each a port); none are needed."""

    summarizer: Summarizer | None = None
    """Writes `summary` narratives (an LLM); without it the deterministic summary is used."""


@dataclass
class Call:
    """What a handler gets: the open unit of work, the context, and the workspace's today."""

    uow: UnitOfWork
    ctx: Context
    today: date
    services: Services = field(default_factory=Services)

    @property
    def actor(self) -> str:
        return self.ctx.actor.handle

    @property
    def now(self) -> datetime:
        return self.ctx.now

    def record(self, kind: str, subject: str, **data: object) -> None:
        self.uow.events.append(Event(at=self.now, actor=self.actor, kind=kind, subject=subject, data=data))


def new_number(uow: UnitOfWork, kind: Kind) -> int:
    """The next P-n, D-n or B-n; refused (and rolled back) once a workspace has used up the nine digits."""
    return rules.next_id(uow.ids.next(kind), kind.value)


def workspace_today(uow: UnitOfWork, now: datetime) -> date:
    return now.astimezone(rules.zone_info(uow.workspace.get().tz)).date()


def person_from(info: PersonInfo, *, admin: bool = False) -> Person:
    """A new person as a platform describes them, made to keep the rules (a readable name, a zone
    the tz database knows, or none)."""
    try:
        tz = rules.zone(info.tz) if info.tz else None
    except InvalidInput:
        tz = None
    return Person(handle=info.handle, name=rules.cleaned(info.name) or info.handle, tz=tz, admin=admin)
