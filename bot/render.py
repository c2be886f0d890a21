"""Render neutral replies as plain text (console, `run`, and the base of chat renderers)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from core.reply import ChannelRef, Line, Mention, Quote, Segment

_PINGS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_SPECIAL = re.compile(r"<!")


def neutralise(text: str) -> str:
    """Make user text unable to ping anyone: `@here`, `<!channel>` and friends lose their power.

    A zero-width space keeps the text readable while breaking the mention syntax.
    """
    text = _SPECIAL.sub("<\u200b!", text)
    return _PINGS.sub(lambda m: "@\u200b" + m.group(1), text)


def render_segment(seg: Segment, person: Callable[[str], str], channel: Callable[[str], str]) -> str:
    if isinstance(seg, Mention):
        return person(seg.handle)
    if isinstance(seg, Quote):
        return neutralise(seg.text)
    if isinstance(seg, ChannelRef):
        return channel(seg.channel)
    return seg


def render_lines(
    lines: Iterable[Line],
    person: Callable[[str], str] = lambda h: f"@{h}",
    channel: Callable[[str], str] = lambda c: f"#{c}",
) -> str:
    return "\n".join("".join(render_segment(s, person, channel) for s in ln) for ln in lines)
