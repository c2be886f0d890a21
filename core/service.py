"""The entry point adapters call: one command, one unit of work, one reply."""

from __future__ import annotations

from dataclasses import replace

from core import rules
from core.commands import Command, is_read
from core.context import Call, Context, PersonInfo, Services, person_from, workspace_today
from core.errors import InvalidInput
from core.model import Event, Person
from core.ports import UnitOfWork, UnitOfWorkFactory
from core.reply import Reply

PLATFORM_ADMINS = frozenset({"slack"})
"""Platforms that name the admins themselves (SPEC: Slack workspace admins and the installer, see
core.admins), so the first person to speak there is not made one. Everywhere else (the console,
`run`, Teams, which tells a bot nothing of tenant roles) the first person to speak in a workspace
that has no admin yet becomes one; on Teams the installer is made admin first when the install is
seen (`meet(..., installed=True)`), so the first speaker is only admin where no install was seen."""


def _refreshed(person: Person, info: PersonInfo) -> Person:
    """`person` with the name and time zone the platform reports now, where it vouches for them; a
    zone the person chose (`me tz`) stays, and one the tz database does not know is ignored."""
    name = (rules.cleaned(info.name) or person.name) if info.name_known else person.name
    tz = person.tz
    if info.tz_known and info.tz and not person.tz_pinned:
        try:
            tz = rules.zone(info.tz)
        except InvalidInput:
            pass
    return replace(person, name=name, tz=tz)


def ensure_people(uow: UnitOfWork, ctx: Context, *, speaking: bool = True) -> None:
    """Create the speaker and mentioned people on first sight, and bring the names and time zones of
    people on record up to date where the adapter vouches for them (a name first seen as an id
    placeholder is replaced as soon as the platform gives one).

    When `speaking` (a command, not an install or members joining) and the platform leaves admins
    to Flotilla, the speaker becomes admin if the workspace has none yet."""
    for info in (ctx.actor, *ctx.people):
        person = uow.people.get(info.handle)
        if person is None:
            uow.people.add_if_absent(person_from(info))
            continue
        current = _refreshed(person, info)
        if current != person:
            uow.people.save(current)
    if speaking and ctx.platform not in PLATFORM_ADMINS:
        _first_admin(uow, ctx, "first person in the workspace")


def _first_admin(uow: UnitOfWork, ctx: Context, reason: str) -> bool:
    """Make the actor admin when the workspace has no admin at all (callers hold the workspace lock)."""
    actor = uow.people.get(ctx.actor.handle)
    if actor is None or actor.admin or uow.people.any_admin():
        return False
    uow.people.save(replace(actor, admin=True))
    uow.events.append(Event(at=ctx.now, actor=actor.handle, kind="admin.added", subject=actor.handle,
                            data={"reason": reason}))  # fmt: skip
    return True


def meet(uow_factory: UnitOfWorkFactory, workspace: str, ctx: Context, *, installed: str | None = None) -> bool:
    """People a chat adapter has seen without a command (an install, members joining) become people,
    or are brought up to date. `installed` (the reason, e.g. "installed Flotilla in Teams"): the actor
    installed the app, and is its first admin if the workspace has none yet (SPEC: the installer; a
    later install, in another team or someone's personal scope, makes nobody admin). True when the
    actor became admin."""
    with uow_factory(workspace) as uow:
        uow.lock()
        ensure_people(uow, ctx, speaking=False)
        made = installed is not None and _first_admin(uow, ctx, installed)
        uow.commit()
    return made


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
    try:
        rules.instant(ctx.now)
    except InvalidInput:
        raise InvalidInput(f"The time {ctx.now.isoformat()} is outside the times I keep.") from None
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
        if not (uow.created and is_read(command)):  # reading a workspace that does not exist creates none
            uow.commit()
    if result.then is not None:  # outside the transaction: other commands are not kept waiting
        result = result.then()
    return result
