"""The entry point adapters call: one command, one unit of work, one reply."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

from core.commands import Command
from core.model import Event, Person
from core.ports import Summarizer, UnitOfWork, UnitOfWorkFactory
from core.reply import Reply


@dataclass(frozen=True)
class PersonInfo:
    """What an adapter knows of a chat user: handle (console name or platform id), name, tz."""

    handle: str
    name: str
    tz: str = "UTC"


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


def workspace_today(uow: UnitOfWork, now: datetime) -> date:
    return now.astimezone(ZoneInfo(uow.workspace.get().tz)).date()


PLATFORM_ADMINS = frozenset({"slack"})
"""Platforms that name the admins themselves (SPEC: Slack workspace admins and the installer, see
core.admins), so the first person to speak there is not made one. Everywhere else (the console,
`run`, Teams, which tells a bot nothing of tenant roles) the first person in a workspace is admin."""


def ensure_people(uow: UnitOfWork, ctx: Context) -> None:
    """Create the speaker and mentioned people on first sight; where the adapter allows it, the
    first person in a workspace is its admin."""
    first = ctx.platform not in PLATFORM_ADMINS and uow.people.get(ctx.actor.handle) is None and not uow.people.list()
    for info in (ctx.actor, *ctx.people):
        person = Person(handle=info.handle, name=info.name, tz=info.tz, admin=first and info is ctx.actor)
        if uow.people.add_if_absent(person) and person.admin:
            uow.events.append(
                Event(at=ctx.now, actor=info.handle, kind="admin.added", subject=info.handle,
                      data={"reason": "first person in the workspace"})
            )  # fmt: skip


def meet(uow_factory: UnitOfWorkFactory, workspace: str, ctx: Context) -> None:
    """People a chat adapter has seen without a command (an install, members joining) become people."""
    with uow_factory(workspace) as uow:
        uow.lock()
        ensure_people(uow, ctx)
        uow.commit()


PLATFORM = "platform"
"""Settings key: which chat platform owns a workspace ("slack", "teams"); unset means the console."""


def bind_platform(uow: UnitOfWork, platform: str) -> None:
    """Record, once, which platform delivers this workspace's messages (in the caller's transaction)."""
    if uow.settings.get(PLATFORM) is None:
        uow.settings.set(PLATFORM, platform)


def execute(
    uow_factory: UnitOfWorkFactory, workspace: str, ctx: Context, command: Command, services: Services | None = None
) -> Reply:
    """Run one command in one transaction. A Refused exception rolls everything back. The
    reply's notices go into the outbox in the same transaction; a sender delivers them."""
    from core.audience import concerned
    from core.handlers import HANDLERS
    from core.outbox import from_notice

    handler = HANDLERS[type(command)]
    with uow_factory(workspace) as uow:
        uow.lock()
        if ctx.platform is not None:
            bind_platform(uow, ctx.platform)
        ensure_people(uow, ctx)
        call = Call(uow=uow, ctx=ctx, today=workspace_today(uow, ctx.now), services=services or Services())
        result = handler(call, command)
        uow.outbox.add_all([from_notice(n, ctx.now) for n in result.notices])
        if result.public or result.notices:
            result = replace(result, concerns=concerned(uow, ctx.actor.handle, result))
        uow.commit()
    if result.then is not None:  # outside the transaction: other commands are not kept waiting
        result = result.then()
    return result
