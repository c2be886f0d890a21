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
from bot.teams import size
from core.reply import ChannelRef, Line, Mention, Quote, Segment

NOTICE_ROOM = size.BUDGET - 4 * 1024
"""UTF-16 bytes of text a one-message notice may hold: the rest of the budget is its envelope
(conversation, sender, service URL). Replies are split into several messages instead (bot.teams.
handler); a notice is one outbox message, so it is cut, and says so."""

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


def full_markdown(lines: Iterable[Line], names: Names) -> str:
    """Lines as markdown: a blank line between lines, since Teams folds single newlines."""
    return "\n\n".join(line_markdown(ln, names) for ln in lines)


def markdown(lines: Iterable[Line], names: Names) -> str:
    """Lines as the text of one message, cut to what a Teams message holds."""
    return clip(full_markdown(lines, names))


CUT = "\n\n… (cut: the rest is too long for one Teams message)"


def clip(text: str, room: int = NOTICE_ROOM) -> str:
    """`text` within `room` UTF-16 bytes (as Teams counts them), cut between paragraphs, saying so."""
    if size.escaped(text) <= room:
        return text
    return next(size.pieces(text, room - size.escaped(CUT))) + CUT


def json_text(data: Any) -> str:
    """`--json` output as text that cannot close a markdown code block early."""
    return json.dumps(data, indent=2, ensure_ascii=False).replace("```", "`\u200b``")


def code_block(text: str, language: str = "json") -> str:
    return f"```{language}\n{text}\n```"


def picture_data_url(png: bytes, limit: int | None = None) -> str | None:
    """A PNG as a `data:image/png;base64,` URL for an inline image attachment, or None if too big."""
    url = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return url if len(url) <= (MAX_PICTURE if limit is None else limit) else None
