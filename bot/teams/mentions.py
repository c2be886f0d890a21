"""Teams message text as the shared grammar reads it.

Teams writes a mention as `<at>Lena Ng</at>` in the text plus an entity that says who it is. The
bot's own mention (how a channel message reaches it at all) is removed; every other mention
becomes `<at:ID>` (bot.grammar.TeamsMentions), so a name with spaces is still one token.

Not `TurnContext.remove_recipient_mention`: in botbuilder 4.17.1 it deletes every occurrence of
the bot's *name* from the text, so `@Flotilla priority add "Flotilla rollout"` would lose a word
of the title. Here only the entity's own `<at>...</at>` is removed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

_TAG = re.compile(r"</?(?:p|div|span|br|b|i|em|strong|u|s|strike|code|pre)\b[^<>]*>", re.IGNORECASE)
_LEFTOVER = re.compile(r"<at>(.*?)</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)


@dataclass(frozen=True)
class Mentioned:
    """A person mentioned in the text: Teams user id (29:...), display name, AAD object id if given."""

    id: str
    name: str
    aad_object_id: str | None = None


def _props(entity: Any) -> Mapping[str, Any]:
    if isinstance(entity, Mapping):
        return entity
    props = dict(getattr(entity, "additional_properties", None) or {})
    props.setdefault("type", getattr(entity, "type", None))
    return props


def mention_entities(entities: Iterable[Any] | None) -> list[tuple[str, Mentioned]]:
    """(text as it appears, who) for each mention entity, in order."""
    out = []
    for entity in entities or ():
        props = _props(entity)
        if str(props.get("type", "")).lower() != "mention":
            continue
        who = props.get("mentioned") or {}
        if not isinstance(who, Mapping) or not who.get("id"):
            continue
        name = str(who.get("name") or "")
        text = str(props.get("text") or f"<at>{name}</at>")
        aad = who.get("aadObjectId") or who.get("aad_object_id")
        out.append((text, Mentioned(id=str(who["id"]), name=name, aad_object_id=str(aad) if aad else None)))
    return out


def command_text(text: str | None, entities: Iterable[Any] | None, bot_id: str | None) -> tuple[str, list[Mentioned]]:
    """The text with the bot's mention removed, others as numbered placeholders, markup gone.

    Returns the text with `\\x00n\\x00` placeholders for mention n of the returned list; the
    caller resolves each person's handle and calls `with_handles`.
    """
    raw = text or ""
    people: list[Mentioned] = []
    for shown, who in mention_entities(entities):
        at = raw.find(shown)
        if at < 0:
            continue
        if bot_id is not None and who.id == bot_id:
            raw = raw[:at] + " " + raw[at + len(shown) :]
            continue
        raw = raw[:at] + f"\x00{len(people)}\x00" + raw[at + len(shown) :]
        people.append(who)
    raw = _LEFTOVER.sub(lambda m: m.group(1), raw)  # an <at> tag without its entity is just a name
    raw = _BREAK.sub("\n", raw)
    raw = _TAG.sub("", raw)
    raw = html.unescape(raw).replace("\xa0", " ")
    return raw.strip(), people


_QUOTES = re.compile('["“”„‟″＂]')


def with_handles(text: str, people: list[Mentioned], handles: list[str]) -> str:
    """Put `<at:HANDLE>` where each placeholder is; inside a quoted value, the person's name instead
    (a title that mentions someone keeps reading as it was typed)."""

    def put(m: re.Match[str]) -> str:
        i = int(m.group(1))
        quoted = len(_QUOTES.findall(text, 0, m.start())) % 2 == 1
        return people[i].name if quoted else f"<at:{handles[i]}>"

    return re.sub(r"\x00(\d+)\x00", put, text)
