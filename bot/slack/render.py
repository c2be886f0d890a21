"""Neutral replies as Slack mrkdwn and Block Kit, within Slack's limits.

User text (Quote) is escaped so `<!here>`, `<!channel>` and `<!subteam^…>` can't ping anyone,
and `@here`-style words are neutralised as in the console; people become `<@U…>` and channels
`<#C…>`. Lists longer than a message allows are cut with "…and N more".

Lengths are measured as Slack measures them: on the text as sent, after escaping (`&amp;` is five
characters), in UTF-16 code units (an emoji outside the BMP is two), so that text in any script
fits. Text is cut only between characters, never inside an escape or a `<@U…>` link.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from core.contracts import dependency_from_json
from core.reply import ChannelRef, Line, Mention, Notice, Quote, Segment
from core.views import dependency_line

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_CHARS = 3000
MAX_FALLBACK_CHARS = 3000
MAX_BUTTON_VALUE = 2000

ACTION_DEP_ACCEPT = "dep_accept"
ACTION_DEP_DECLINE = "dep_decline"
ACTION_DEP_DONE = "dep_done"
ACTION_BLOCKER_RESOLVE = "blocker_resolve"
VIEW_DEP_DECLINE = "dep_decline_modal"
ACTION_STANDUP_OPEN = "standup_open"
ACTION_CHECKIN_OPEN = "checkin_open"
VIEW_STANDUP = "standup_modal"
VIEW_CHECKIN = "checkin_modal"

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
# What may survive from user text: a plain user or channel reference (never a special mention).
_SAFE_REF = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>|<#([CG][A-Z0-9]{2,})(?:\|[^<>]*)?>")
_ID = re.compile(r"^([DB])-(\d+)$")
_RHYTHM_ASK = re.compile(r"^(standup|weekly):([^:]+):[^:]+:(?:prompt|reminder):@")
_PINGS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def neutralise(text: str) -> str:
    """`@here` and friends as words lose their power (a zero-width space, as in the console);
    `<!here>` and `<!subteam^…>` are made inert by escaping, which every text gets."""
    return _PINGS.sub(lambda m: "@\u200b" + m.group(1), text)


def escape(text: str) -> str:
    """Slack's three control characters, as its docs ask."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """What Slack escaped in a slash command or message text, back to what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def quote(text: str) -> str:
    """User text: person and channel links stay links; everything else is inert text."""
    out: list[str] = []
    at = 0
    for m in _SAFE_REF.finditer(text):
        out.append(escape(neutralise(text[at : m.start()])))
        out.append(f"<@{m.group(1)}>" if m.group(1) else f"<#{m.group(2)}>")
        at = m.end()
    out.append(escape(neutralise(text[at:])))
    return "".join(out)


def person(handle: str) -> str:
    return f"<@{handle}>" if _USER_ID.fullmatch(handle) else "@" + escape(neutralise(handle))


def channel(name: str) -> str:
    return f"<#{name}>" if _CHANNEL_ID.fullmatch(name) else "#" + escape(neutralise(name))


def segment(seg: Segment) -> str:
    if isinstance(seg, Mention):
        return person(seg.handle)
    if isinstance(seg, Quote):
        return quote(seg.text)
    if isinstance(seg, ChannelRef):
        return channel(seg.channel)
    return escape(seg)


def mrkdwn_line(ln: Line) -> str:
    return "".join(segment(s) for s in ln)


def mrkdwn(lines: Iterable[Line]) -> str:
    return "\n".join(mrkdwn_line(ln) for ln in lines)


_UNCUT = re.compile(r"&(?:amp|lt|gt);|<[^<>\s]{1,80}>")
"""What a cut must not fall inside: an escape, a link (`<@U…>`, `<#C…>`)."""
_PLAIN_COST = {"&": 5, "<": 4, ">": 4}


def slack_len(text: str, plain: bool = False) -> int:
    """A text's length as Slack counts it: UTF-16 code units of the text as sent. `plain`: a
    plain_text object's text, which Slack escapes before counting (`&` costs five)."""
    units = len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)
    if plain:
        units += sum(_PLAIN_COST[ch] - 1 for ch in text if ch in _PLAIN_COST)
    return units


def _cut(text: str, limit: int, plain: bool = False) -> int:
    """Where `text` must be cut for its first part to take at most `limit` of Slack's characters:
    between two characters, never inside an escape or a link."""
    units = 0
    cut = len(text)
    for i, ch in enumerate(text):
        units += _PLAIN_COST.get(ch, 1) if plain else 1
        units += 1 if ord(ch) > 0xFFFF else 0
        if units > limit:
            cut = i
            break
    else:
        return cut
    if not plain:
        for m in _UNCUT.finditer(text, max(0, cut - 90), min(len(text), cut + 90)):
            if m.start() < cut < m.end():
                return m.start()
    return cut


def clip(text: str, limit: int, plain: bool = False) -> str:
    """At most `limit` of Slack's characters, ending with "…" when cut (mrkdwn; `plain`: the text
    of a plain_text object)."""
    if slack_len(text, plain) <= limit:
        return text
    return text[: _cut(text, limit - 1, plain)] + "…"


def fallback(text: str) -> str:
    """The notification text beside the blocks (bounded: Slack truncates and complains past 40k)."""
    return clip(text, MAX_FALLBACK_CHARS)


def _pieces(text: str, limit: int) -> list[str]:
    """One line longer than a section: cut it at spaces where possible, never inside an escape."""
    pieces: list[str] = []
    while slack_len(text) > limit:
        most = _cut(text, limit)
        space = text.rfind(" ", 0, most + 1)
        cut = space if space > most // 2 else most
        if cut <= 0:
            cut = most if most > 0 else 1
        pieces.append(text[:cut])
        text = text[cut:].lstrip(" ")
    pieces.append(text)
    return pieces


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def text_blocks(rendered: Sequence[str], max_blocks: int = MAX_MESSAGE_BLOCKS) -> list[dict[str, Any]]:
    """Lines packed into sections of at most 3000 characters and `max_blocks` blocks; the rest is counted."""
    chunks: list[str] = []
    current = ""
    for raw in rendered:
        for piece in _pieces(raw or " ", MAX_SECTION_CHARS):
            joined = f"{current}\n{piece}" if current else piece
            if slack_len(joined) > MAX_SECTION_CHARS:
                chunks.append(current)
                current = piece
            else:
                current = joined
    if current:
        chunks.append(current)
    if len(chunks) <= max_blocks:
        return [section(c) for c in chunks]
    kept = chunks[: max_blocks - 1]
    dropped = sum(c.count("\n") + 1 for c in chunks[max_blocks - 1 :])
    return [section(c) for c in kept] + [context(f"…and {dropped} more line{'s' if dropped != 1 else ''}.")]


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    b: dict[str, Any] = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": False},
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        b["style"] = style
    return b


def dependency_buttons(dep_id: str, state: str) -> list[dict[str, Any]]:
    """What can be done next to a dependency in this state (the core still decides who may)."""
    if state == "requested":
        return [
            button("Accept", ACTION_DEP_ACCEPT, dep_id, "primary"),
            button("Decline…", ACTION_DEP_DECLINE, dep_id, "danger"),
        ]
    if state == "accepted":
        return [button("Mark delivered", ACTION_DEP_DONE, dep_id, "primary")]
    return []


def blocker_buttons(blocker_id: str, state: str) -> list[dict[str, Any]]:
    return [button("Resolve", ACTION_BLOCKER_RESOLVE, blocker_id, "primary")] if state == "open" else []


def buttons_for_record(data: Any) -> list[dict[str, Any]]:
    """Buttons for a reply about one dependency or blocker (its JSON as core.contracts writes it)."""
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        return []
    m = _ID.match(data["id"])
    state = data.get("state")
    if m is None or not isinstance(state, str):
        return []
    return dependency_buttons(data["id"], state) if m.group(1) == "D" else blocker_buttons(data["id"], state)


def buttons_for_notice(notice: Notice) -> list[dict[str, Any]]:
    """A request to a team (`D-n:requested:…`) is answered with buttons, a stand-up or check-in
    prompt or reminder opens its form; other notices only inform."""
    dep, _, rest = notice.key.partition(":")
    if _ID.match(dep) and dep.startswith("D-") and rest.startswith("requested"):
        return dependency_buttons(dep, "requested")
    if _ID.match(dep) and dep.startswith("D-") and rest.startswith("accepted"):
        return dependency_buttons(dep, "accepted")
    asks = _RHYTHM_ASK.match(notice.key)
    if asks and asks.group(1) == "standup":
        return [button("Open stand-up", ACTION_STANDUP_OPEN, asks.group(2), "primary")]
    if asks:
        return [button("Open check-in", ACTION_CHECKIN_OPEN, asks.group(2), "primary")]
    return []


def record_line(data: Any) -> str:
    """A dependency's line (core.views) from its JSON as core.contracts writes it; else ""."""
    if not isinstance(data, dict) or not str(data.get("id") or "").startswith("D-"):
        return ""
    return mrkdwn_line(dependency_line(dependency_from_json(data)))


def actions(elements: list[dict[str, Any]], block_id: str = "flotilla_actions") -> list[dict[str, Any]]:
    return [{"type": "actions", "block_id": block_id, "elements": elements}] if elements else []


def message(lines: Sequence[Line], elements: list[dict[str, Any]] | None = None) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for a chat message, buttons last, never more than 50 blocks."""
    rendered = [mrkdwn_line(ln) for ln in lines]
    extra = actions(elements or [])
    blocks = text_blocks(rendered, MAX_MESSAGE_BLOCKS - len(extra)) + extra
    return fallback("\n".join(rendered)), blocks


def refusal(lines: Sequence[Line], usage: str | None) -> tuple[str, list[dict[str, Any]]]:
    rendered = [mrkdwn_line(ln) for ln in lines]
    if usage:
        rendered += usage.splitlines() if usage.startswith("Commands:") else [f"Usage: `{escape(usage)}`"]
    return fallback("\n".join(rendered)), text_blocks(rendered)


def plain(text: str) -> tuple[str, list[dict[str, Any]]]:
    """System text that is not a neutral reply (help, errors): escaped, packed into sections."""
    lines = [escape(t) for t in text.splitlines()] or [" "]
    return fallback("\n".join(lines)), text_blocks(lines)


def json_file(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
