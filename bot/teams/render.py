"""Neutral replies as Teams text (markdown) and Adaptive Card text.

People are shown by name in bold, never as `<at>` mentions: a reply names people without pinging
them (a digest names who is missing; the leads get their own message anyway). Text people typed
(core.reply.Quote) is neutralised for both surfaces: no `<at>` tag, no `@channel`-style ping and
no markup from user text survives.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from bot.render import neutralise
from core.reply import ChannelRef, Line, Mention, Quote, Segment

MAX_TEXT = 20_000
"""Teams refuses messages much over 28 KB; long output (help, `--json`) is cut well below it."""

MAX_PICTURE = 1_000_000
"""Characters of a data URL that Teams is sent inline; a bigger picture is left out."""

_MARKDOWN = re.compile(r"([\\`*_~\[\]#|])")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def quote_markdown(text: str) -> str:
    """User text inside a markdown message: no mention, no markup, no HTML."""
    text = neutralise(text)
    text = "".join(_HTML.get(c, c) for c in text)
    return _MARKDOWN.sub(r"\\\1", text)


def system_markdown(text: str) -> str:
    """Flotilla's own text: `<date>` outside code spans must not read as an HTML tag to Teams."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):
        parts[i] = "".join(_HTML.get(c, c) for c in parts[i])
    return "`".join(parts)


def quote_card(text: str) -> str:
    """User text inside an Adaptive Card TextBlock: no `<at>` tag can form, markdown shown as typed."""
    text = neutralise(text).replace("<", "<\u200b")
    return _MARKDOWN.sub(r"\\\1", text)


@dataclass(frozen=True)
class Names:
    """How the renderer shows platform ids: a person's display name, a channel's name."""

    person: Callable[[str], str] = lambda handle: handle
    channel: Callable[[str], str] = lambda channel: "the team's channel"


def _segment(seg: Segment, names: Names, quote: Callable[[str], str], system: Callable[[str], str]) -> str:
    if isinstance(seg, Mention):
        return f"**{quote(names.person(seg.handle))}**"
    if isinstance(seg, Quote):
        return quote(seg.text)
    if isinstance(seg, ChannelRef):
        return f"**{quote(names.channel(seg.channel))}**"
    return system(seg)


def line_markdown(ln: Line, names: Names) -> str:
    return "".join(_segment(s, names, quote_markdown, system_markdown) for s in ln)


def line_card(ln: Line, names: Names) -> str:
    return "".join(_segment(s, names, quote_card, lambda t: t) for s in ln)


def markdown(lines: Iterable[Line], names: Names) -> str:
    """Lines as one markdown message: a blank line between lines, since Teams folds single newlines."""
    return clip("\n\n".join(line_markdown(ln, names) for ln in lines))


def json_block(data: Any) -> str:
    """`--json` in chat: the JSON in a code block (Teams bots can't attach files in channels)."""
    text = json.dumps(data, indent=2, ensure_ascii=False).replace("```", "`\u200b``")
    if len(text) > MAX_TEXT:
        return f"The JSON is {len(text)} characters, too long for a Teams message: use `flotilla export` instead."
    return f"```json\n{text}\n```"


def clip(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return text[:MAX_TEXT].rsplit("\n", 1)[0] + "\n\n… (cut: the rest is too long for one Teams message)"


def picture_data_url(png: bytes, limit: int | None = None) -> str | None:
    """A PNG as a `data:image/png;base64,` URL for an inline image attachment, or None if too big."""
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return url if len(url) <= (MAX_PICTURE if limit is None else limit) else None
