"""Who a change concerns: whose personal views (Slack's App Home) show what it changed.

The actor, the people its notices go to, the owners and raisers of the records it returns, and the
members of the teams those records belong to, at most MAX_CONCERNED of them (refreshing a view is
a call to the chat platform each)."""

from __future__ import annotations

from typing import Any

from core.ports import UnitOfWork
from core.reply import Reply

MAX_CONCERNED = 100
PEOPLE_KEYS = ("owner", "requester_owner", "provider_owner", "raised_by")
TEAM_KEYS = ("from_team", "to_team", "team")


def concerned(uow: UnitOfWork, actor: str, result: Reply) -> tuple[str, ...]:
    people: dict[str, None] = {actor: None}
    for n in result.notices:
        if n.person:
            people[n.person] = None
    records: list[Any] = result.data if isinstance(result.data, list) else [result.data]
    teams: set[str] = set()
    for rec in records:
        if not isinstance(rec, dict):
            continue
        people.update((rec[k], None) for k in PEOPLE_KEYS if isinstance(rec.get(k), str))
        teams.update(rec[k] for k in TEAM_KEYS if isinstance(rec.get(k), str))
    for handle in sorted(teams):
        t = uow.teams.get(handle)
        if t is not None:
            people.update(dict.fromkeys([*t.leads, *t.members]))
    return tuple(people)[:MAX_CONCERNED]
