"""Which conversation references an activity teaches us, so that Flotilla can speak first.

Kinds, each keyed so that a core Notice finds its way:
- `user` (AAD object id): the person's personal chat with the bot, for notices to a person;
- `channel` (channel id, as `team create` binds it): new posts in that channel;
- `team` (team id): the team's General channel;
- `chat` (conversation id): a group chat (its id is what `team create` binds there);
- `account` (AAD object id) and `member` (Teams user id 29:...): who someone is, to resolve
  mentions and to open a personal chat with a person who never wrote to the bot.
The full reference is stored each time (the service URL can change); the newest wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from botbuilder.core import TurnContext
from botbuilder.schema import Activity, ChannelAccount, ConversationReference


class StoredRefLike(Protocol):
    @property
    def reference(self) -> dict[str, Any]: ...

    @property
    def name(self) -> str | None: ...


class ReferenceStore(Protocol):
    """Implemented by storage.conversation_refs.SqlConversationRefs (and a dict in tests)."""

    def save(self, workspace: str, kind: str, key: str, reference: dict[str, Any], name: str | None = None) -> None: ...

    def get(self, workspace: str, kind: str, key: str) -> StoredRefLike | None: ...


@dataclass(frozen=True)
class Remembered:
    kind: str
    key: str
    reference: dict[str, Any]
    name: str | None = None


def channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    if isinstance(data, dict):
        return data
    if data is not None and hasattr(data, "serialize"):
        return dict(data.serialize())
    return {}


def workspace_of(activity: Activity) -> str:
    """The workspace is the Teams tenant (the Emulator has none: its channel id stands in)."""
    tenant = (channel_data(activity).get("tenant") or {}).get("id")
    conv = activity.conversation
    return str(tenant or (conv.tenant_id if conv is not None else None) or activity.channel_id or "msteams")


def scope_of(activity: Activity) -> str:
    """personal, channel or groupChat."""
    conv = activity.conversation
    kind = (conv.conversation_type if conv is not None else None) or ""
    if kind in ("personal", "channel", "groupChat"):
        return kind
    return "channel" if channel_data(activity).get("channel") else "personal"


def home_channel(activity: Activity) -> str | None:
    """What `team create` binds: the Teams channel id, or a group chat's conversation id."""
    scope = scope_of(activity)
    if scope == "channel":
        channel = channel_data(activity).get("channel") or {}
        conv_id = activity.conversation.id if activity.conversation is not None else ""
        return str(channel.get("id") or conv_id.split(";", 1)[0]) or None
    if scope == "groupChat" and activity.conversation is not None:
        return str(activity.conversation.id)
    return None


def channel_name(activity: Activity, channel: str) -> str | None:
    """The channel's name when the activity carries it: `channelData.channel.name` (channel events),
    or `conversation.name` when the conversation is the channel itself (install and bot-added
    events name the channel chosen at install). Messages carry neither: the stored name stays."""
    data = channel_data(activity)
    named = data.get("channel") or {}
    if named.get("id") == channel and named.get("name"):
        return str(named["name"])
    conv = activity.conversation
    if conv is not None and conv.name and (conv.id or "").split(";", 1)[0] == channel:
        return str(conv.name)
    return None


def _reference(activity: Activity, conversation_id: str | None = None) -> dict[str, Any]:
    ref: ConversationReference = TurnContext.get_conversation_reference(activity)
    data: dict[str, Any] = ref.serialize()
    data.pop("activityId", None)
    if conversation_id is not None:
        data["conversation"] = {**data.get("conversation", {}), "id": conversation_id}
    return data


def account(member: ChannelAccount, activity: Activity) -> Remembered | None:
    aad = getattr(member, "aad_object_id", None)
    if not aad or not member.id:
        return None
    bot = activity.recipient
    info = {
        "id": member.id, "name": member.name, "aadObjectId": aad, "serviceUrl": activity.service_url,
        "tenantId": workspace_of(activity), "channelId": activity.channel_id,
        "bot": {"id": bot.id, "name": bot.name} if bot is not None else None,
    }  # fmt: skip
    return Remembered("account", str(aad), info, member.name)


def learned(activity: Activity) -> list[Remembered]:
    """Every reference this activity carries: the conversation itself and the person speaking."""
    out: list[Remembered] = []
    scope = scope_of(activity)
    sender = activity.from_property
    data = channel_data(activity)
    if scope == "personal" and sender is not None and sender.aad_object_id:
        out.append(Remembered("user", str(sender.aad_object_id), _reference(activity), sender.name))
    elif scope == "channel":
        channel = home_channel(activity)
        if channel:
            out.append(Remembered("channel", channel, _reference(activity, channel), channel_name(activity, channel)))
        team = data.get("team") or {}
        if team.get("id"):
            out.append(Remembered("team", str(team["id"]), _reference(activity, str(team["id"])), team.get("name")))
    elif scope == "groupChat" and activity.conversation is not None:
        out.append(Remembered("chat", str(activity.conversation.id), _reference(activity), activity.conversation.name))
    if sender is not None:
        who = account(sender, activity)
        if who is not None:
            out.append(who)
            out.append(Remembered("member", str(sender.id), {"aadObjectId": who.key}, sender.name))
    return out


def remember(store: ReferenceStore, workspace: str, items: Sequence[Remembered]) -> None:
    for item in items:
        store.save(workspace, item.kind, item.key, item.reference, item.name)
