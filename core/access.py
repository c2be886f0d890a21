"""Look-ups that refuse clearly, and the permission rules of SPEC.md's command table."""

from __future__ import annotations

from core.context import Call
from core.errors import Conflict, NotFound, PermissionDenied
from core.model import Blocker, Dependency, Person, Priority, Team


def person(call: Call, handle: str) -> Person:
    found = call.uow.people.get(handle)
    if found is None:
        raise NotFound(f"I don't know {handle!r} in this workspace yet.")
    return found


def team(call: Call, handle: str) -> Team:
    found = call.uow.teams.get(handle)
    if found is None:
        raise NotFound(f"There is no team '{handle}' (see `team list`).")
    return found


def active_team(call: Call, handle: str) -> Team:
    """A team that may change: archived teams keep their history but take no new work."""
    found = team(call, handle)
    if found.archived:
        raise Conflict(
            f"Team {found.handle} is archived (an admin can bring it back with `team unarchive {found.handle}`)."
        )
    return found


def priority(call: Call, number: int) -> Priority:
    found = call.uow.priorities.get(number)
    if found is None:
        raise NotFound(f"There is no priority P-{number} in this workspace.")
    return found


def dependency(call: Call, number: int) -> Dependency:
    found = call.uow.dependencies.get(number)
    if found is None:
        raise NotFound(f"There is no dependency D-{number} in this workspace.")
    return found


def blocker(call: Call, number: int) -> Blocker:
    found = call.uow.blockers.get(number)
    if found is None:
        raise NotFound(f"There is no blocker B-{number} in this workspace.")
    return found


def is_admin(call: Call, handle: str | None = None) -> bool:
    p = call.uow.people.get(handle or call.actor)
    return p is not None and p.admin


def ancestors(call: Call, t: Team) -> list[Team]:
    """Parent, grandparent, ... up to a root (cycle-safe)."""
    chain: list[Team] = []
    seen = {t.handle}
    parent = t.parent
    while parent is not None and parent not in seen:
        found = call.uow.teams.get(parent)
        if found is None:
            break
        chain.append(found)
        seen.add(parent)
        parent = found.parent
    return chain


def leads_team_or_ancestor(call: Call, t: Team) -> bool:
    return any(call.actor in x.leads for x in (t, *ancestors(call, t)))


def my_teams(call: Call, handle: str | None = None) -> list[Team]:
    """The teams someone is in (archived ones left out)."""
    who = handle or call.actor
    return [t for t in call.uow.teams.list() if t.has_member(who) and not t.archived]


def team_or_mine(call: Call, handle: str | None, *, what: str, how: str = "--team", active: bool = False) -> Team:
    """`--team` when given, else the caller's only team; refuse when that is ambiguous. With
    `active`, an archived team is refused (the caller is about to change something of it)."""
    if handle is not None:
        return active_team(call, handle) if active else team(call, handle)
    mine = my_teams(call)
    if len(mine) == 1:
        return mine[0]
    if not mine:
        raise NotFound(f"You are in no team, so say which one {what} with {how}.")
    names = ", ".join(t.handle for t in mine)
    raise NotFound(f"You are in several teams ({names}): say which one {what} with {how}.")


def optional_team_or_mine(call: Call, handle: str | None) -> Team | None:
    """`--team` when given, else the caller's only team, else None (meaning: everything)."""
    if handle is not None:
        return team(call, handle)
    mine = my_teams(call)
    return mine[0] if len(mine) == 1 else None


def require_admin(call: Call, doing: str) -> None:
    if not is_admin(call):
        raise PermissionDenied(f"Only an admin can {doing}.")


def require_lead_or_admin(call: Call, t: Team, doing: str) -> None:
    if not (is_admin(call) or leads_team_or_ancestor(call, t)):
        raise PermissionDenied(f"Only a lead of {t.handle} (or of a parent team) or an admin can {doing}.")


def can_edit_priority(call: Call, p: Priority) -> bool:
    if is_admin(call) or p.owner == call.actor:
        return True
    if p.team is None:
        return False
    t = call.uow.teams.get(p.team)
    return t is not None and leads_team_or_ancestor(call, t)


def require_priority_editor(call: Call, p: Priority, doing: str) -> None:
    if not can_edit_priority(call, p):
        raise PermissionDenied(f"Only the owner of {p.id}, a lead of its team or an admin can {doing}.")


def require_member(call: Call, t: Team, doing: str) -> None:
    if not t.has_member(call.actor):
        raise PermissionDenied(f"Only a member of {t.handle} can {doing}.")
