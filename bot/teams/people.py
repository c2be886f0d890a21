"""Who is who in a Teams activity: AAD object ids, display names and time zones.

A person's handle is their AAD object id. Teams gives the sender's display name on messages and
card clicks (`from.name`) but not on install and membership events, so a name missing there is
asked of the roster (`TeamsInfo.get_member`, which the bot may read in every conversation it is
in); until a real name is known the id stands in, and the first real one replaces it (core
`ensure_people`). The time zone is the client's (`clientInfo` entity, or `localTimezone`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity
from botbuilder.schema.teams import TeamsChannelAccount

from core.context import PersonInfo

log = logging.getLogger(__name__)


def _entity(entity: Any) -> Mapping[str, Any]:
    if isinstance(entity, Mapping):
        return entity
    props = dict(getattr(entity, "additional_properties", None) or {})
    props.setdefault("type", getattr(entity, "type", None))
    return props


def client_timezone(activity: Activity) -> str | None:
    """The IANA zone of the client that sent the activity, when it says (and it is a real zone)."""
    candidates = [_entity(e).get("timezone") for e in activity.entities or () if _entity(e).get("type") == "clientInfo"]
    candidates.append(activity.local_timezone)
    for tz in candidates:
        if isinstance(tz, str) and tz.strip():
            try:
                ZoneInfo(tz.strip())
            except (ZoneInfoNotFoundError, ValueError):
                continue
            return tz.strip()
    return None


def sender(activity: Activity) -> PersonInfo | None:
    """The sender as the activity describes them, or None when it does not say who (no AAD id)."""
    account = activity.from_property
    if account is None or not (account.aad_object_id or activity.channel_id != "msteams"):
        return None
    handle = str(account.aad_object_id or account.id)
    tz = client_timezone(activity)
    name = (account.name or "").strip()
    return PersonInfo(handle=handle, name=name or handle, tz=tz, name_known=bool(name),
                      tz_known=tz is not None)  # fmt: skip


async def roster_member(turn_context: TurnContext, user_id: str) -> TeamsChannelAccount | None:
    """A member of this conversation (or its team) from the roster; None when it cannot say."""
    try:
        member: TeamsChannelAccount = await TeamsInfo.get_member(turn_context, user_id)
    except Exception as e:  # the roster is a nicety: a 403, a 404, an unreachable service all mean "unknown"
        log.info("roster look-up failed: %s", type(e).__name__)
        return None
    return member


async def named_sender(turn_context: TurnContext) -> PersonInfo | None:
    """The sender, with their display name from the roster when the activity left it out."""
    info = sender(turn_context.activity)
    account = turn_context.activity.from_property
    if info is None or info.name_known or account is None or not account.id:
        return info
    member = await roster_member(turn_context, account.id)
    name = (member.name or "").strip() if member is not None else ""
    if not name:
        return info
    return PersonInfo(handle=info.handle, name=name, tz=info.tz, name_known=True, tz_known=info.tz_known)


def member_info(member: TeamsChannelAccount) -> PersonInfo | None:
    """A member added to a team or chat (from the roster, or the activity's own account)."""
    if not member.aad_object_id:
        return None
    name = (member.name or "").strip()
    handle = str(member.aad_object_id)
    return PersonInfo(handle=handle, name=name or handle, name_known=bool(name))
