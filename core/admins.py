"""Admins a chat platform vouches for: Slack workspace admins and owners, and whoever installed the app.

The rule lives here, not in an adapter: such a person becomes a Flotilla admin the first time the
platform says so, unless a Flotilla admin has removed them since (`admin remove` wins).
"""

from __future__ import annotations

from datetime import datetime

from core.context import PersonInfo, person_from
from core.model import Event
from core.ports import UnitOfWorkFactory


def grant_platform_admin(
    uow_factory: UnitOfWorkFactory, workspace: str, who: PersonInfo, now: datetime, reason: str
) -> bool:
    """Make `who` an admin of `workspace` (creating them if new); True when that changed anything."""
    with uow_factory(workspace) as uow:
        uow.lock()  # two replicas seeing the same admin at once record one admin.added, not two
        person = uow.people.get(who.handle)
        if person is not None and person.admin:
            return False
        if person is not None and any(e.kind == "admin.removed" and e.subject == who.handle for e in uow.events.list()):
            return False
        if person is None:
            uow.people.add_if_absent(person_from(who, admin=True))
        else:
            person.admin = True
            uow.people.save(person)
        uow.events.append(Event(at=now, actor=who.handle, kind="admin.added", subject=who.handle,
                                data={"reason": reason}))  # fmt: skip
        uow.commit()
    return True
