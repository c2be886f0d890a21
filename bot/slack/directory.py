"""Slack users as Flotilla people: name and time zone from users.info, cached per workspace."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from core.context import PersonInfo

CACHE_SECONDS = 3600.0


@dataclass(frozen=True)
class SlackUser:
    info: PersonInfo
    workspace_admin: bool = False
    """Slack says so: an admin, owner or primary owner of the workspace."""
    bot: bool = False


@dataclass
class UserCache:
    """users.info answers by (workspace, user id), for an hour; thread-safe, bounded."""

    ttl: float = CACHE_SECONDS
    max_entries: int = 50_000
    clock: Callable[[], float] = time.monotonic
    _entries: dict[tuple[str, str], tuple[float, SlackUser]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def get(self, workspace: str, user: str) -> SlackUser | None:
        with self._lock:
            hit = self._entries.get((workspace, user))
        if hit is None or self.clock() - hit[0] > self.ttl:
            return None
        return hit[1]

    def put(self, workspace: str, user: SlackUser) -> None:
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()
            self._entries[(workspace, user.info.handle)] = (self.clock(), user)


def from_users_info(user_id: str, user: dict[str, object]) -> SlackUser:
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    assert isinstance(profile, dict)
    name = next(
        (str(v) for v in (profile.get("display_name"), profile.get("real_name"), user.get("real_name"),
                          user.get("name")) if isinstance(v, str) and v.strip()),
        user_id,
    )  # fmt: skip
    tz = str(user["tz"]) if isinstance(user.get("tz"), str) and user.get("tz") else None  # None: Slack did not say
    admin = any(bool(user.get(k)) for k in ("is_admin", "is_owner", "is_primary_owner"))
    # users.info speaks for the person: a name or zone changed in Slack is taken (a zone chosen with
    # `me tz` stays, core.service), so the people on record follow their Slack profile.
    info = PersonInfo(handle=user_id, name=name[:200], tz=tz, name_known=name != user_id, tz_known=tz is not None)
    return SlackUser(info=info, workspace_admin=admin, bot=bool(user.get("is_bot")))


def look_up(cache: UserCache, client: WebClient, workspace: str, user_id: str) -> tuple[SlackUser, bool]:
    """The user, and whether this was a fresh answer from Slack (not the cache)."""
    cached = cache.get(workspace, user_id)
    if cached is not None:
        return cached, False
    try:
        found = client.users_info(user=user_id)
    except SlackApiError as e:
        if e.response.get("error") not in ("user_not_found", "users_not_found"):
            raise
        found_user = SlackUser(info=PersonInfo(handle=user_id, name=user_id))
    else:
        data = found.get("user")
        found_user = from_users_info(user_id, data if isinstance(data, dict) else {})
    cache.put(workspace, found_user)
    return found_user, True
