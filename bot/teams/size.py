"""How big a message is, the way Teams counts it, and how to keep each one under the limit.

Teams measures the whole activity it is sent (text, attachments and cards, mentions), encoded as
UTF-16, not counting base64-encoded images. What it allows has been documented three ways:
- "Chat size: approximately 28 KB per post" and "Channel conversation post size: approximately
  28 KB per post", "an approximate limit because it includes the message itself (text, image links,
  etc.), @-mentions, and reactions" (Microsoft Learn, "Limits and specifications for Microsoft
  Teams", MicrosoftDocs/OfficeDocs-SkypeForBusiness `Teams/limits-specifications-teams.md`);
- "The bot message size limit is 40 KB ... includes the entire message payload encoded as UTF-16
  and doesn't include Base64 encoded images"; over it the bot gets 413 `MessageSizeTooBig`
  (msteams-docs `bots/how-to/format-your-bot-messages.md`, 2023-2024 versions);
- the same page now says 100 KB (80 KB recommended).
Flotilla keeps to the smallest, 28 KB, so that a message also fits wherever a person may forward
or quote it, less a margin for what the connector adds to an activity (its id, timestamps).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

LIMIT = 28 * 1024
"""Bytes of UTF-16 a Teams post may hold (see above)."""

MARGIN = 1024
"""Left for what the service adds to the activity we send."""

BUDGET = LIMIT - MARGIN

_DATA_URL = re.compile(r"data:image/[a-z+.-]+;base64,[A-Za-z0-9+/=]*")


def utf16(text: str) -> int:
    """Bytes of `text` in UTF-16 (2 per code unit; 4 for a character outside the BMP)."""
    return len(text.encode("utf-16-le"))


def activity_size(activity: dict[str, Any]) -> int:
    """A serialised activity as Teams counts it: its JSON in UTF-16, inline base64 images left out."""
    text = json.dumps(activity, ensure_ascii=False, separators=(",", ":"))
    return utf16(_DATA_URL.sub("", text))


def escaped(text: str) -> int:
    """What `text` adds to an activity's JSON (escapes included), in UTF-16 bytes."""
    return utf16(json.dumps(text, ensure_ascii=False)) - utf16('""')


def pieces(text: str, room: int) -> Iterator[str]:
    """`text` in pieces of at most `room` bytes (as `escaped` counts), cut between paragraphs,
    else between lines, else between characters (never inside a surrogate pair's character)."""
    if escaped(text) <= room:
        yield text
        return
    for separator in ("\n\n", "\n", ""):
        parts = text.split(separator) if separator else list(text)
        if separator and len(parts) == 1:
            continue
        yield from _pack(parts, separator, room)
        return


def _pack(parts: list[str], separator: str, room: int) -> Iterator[str]:
    current: list[str] = []
    size = 0
    gap = escaped(separator)
    for part in parts:
        cost = escaped(part)
        if cost > room:  # one paragraph too big on its own: cut it finer
            if current:
                yield separator.join(current)
                current, size = [], 0
            yield from pieces(part, room)
            continue
        if current and size + gap + cost > room:
            yield separator.join(current)
            current, size = [], 0
        size += (gap if current else 0) + cost
        current.append(part)
    if current:
        yield separator.join(current)


def fits(make: Callable[[str], dict[str, Any]], text: str) -> bool:
    """Whether the activity `make` builds around `text` is within the budget."""
    return activity_size(make(text)) <= BUDGET
