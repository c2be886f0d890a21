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

from core.json_shapes import dependency_from_json
from core.offers import Act, Offer
from core.record_lines import dependency_line
from core.reply import ChannelRef, Line, Mention, Quote, Segment

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_SECTION_CHARS = 3000
MAX_FALLBACK_CHARS = 3000
MAX_BUTTON_VALUE = 2000

MAX_BUTTON_TEXT = 75
MAX_ACTIONS = 25
"""Elements in one actions block."""

ACTION_IDS: dict[Act, str] = {
    Act.DEP_ACCEPT: "dep_accept",
    Act.DEP_DECLINE: "dep_decline",
    Act.DEP_DONE: "dep_done",
    Act.DEP_PROPOSE: "dep_propose",
    Act.DEP_AGREE: "dep_agree",
    Act.DEP_REJECT: "dep_reject",
    Act.DEP_COMMIT: "dep_commit",
    Act.BLOCKER_RESOLVE: "blocker_resolve",
    Act.STANDUP_OPEN: "standup_open",
    Act.CHECKIN_OPEN: "checkin_open",
    Act.RISK_RENEW: "risk_renew",
    Act.RISK_END: "risk_end",
}
"""The action id of each act's button (the names buttons already posted in Slack carry)."""
ACTS: dict[str, Act] = {v: k for k, v in ACTION_IDS.items()}
VIEW_ASK = "flotilla_ask"
"""A modal asking what an offer needs before it runs (a reason to decline)."""
VIEW_ASK_BEFORE = "dep_decline_modal"
"""The same, as modals opened before this release called it."""
VIEW_STANDUP = "standup_modal"
VIEW_CHECKIN = "checkin_modal"

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")
_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,}")
# What may survive from user text: a plain user or channel reference (never a special mention).
_SAFE_REF = re.compile(r"<@([UW][A-Z0-9]{2,})(?:\|[^<>]*)?>|<#([CG][A-Z0-9]{2,})(?:\|[^<>]*)?>")
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
        "text": {"type": "plain_text", "text": clip(text, MAX_BUTTON_TEXT, plain=True), "emoji": False},
        "action_id": action_id,
    }
    if value:
        b["value"] = value[:MAX_BUTTON_VALUE]
    if style in ("primary", "danger"):
        b["style"] = style
    return b


def offer_buttons(offers: Sequence[Offer]) -> list[dict[str, Any]]:
    """A button per offer the core made (the action id names the act, the value its subject)."""
    return [button(o.label, ACTION_IDS[o.act], o.subject, o.style) for o in offers][:MAX_ACTIONS]


def record_line(data: Any) -> str:
    """A dependency's line (core.record_lines) from its JSON as core.json_shapes writes it; else ""."""
    if not isinstance(data, dict) or not str(data.get("id") or "").startswith("D-"):
        return ""
    return mrkdwn_line(dependency_line(dependency_from_json(data)))


def actions(elements: list[dict[str, Any]], block_id: str = "flotilla_actions") -> list[dict[str, Any]]:
    return [{"type": "actions", "block_id": block_id, "elements": elements}] if elements else []


def message(lines: Sequence[Line], offers: Sequence[Offer] = ()) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for a chat message, the offers' buttons last, never more than 50 blocks."""
    rendered = [mrkdwn_line(ln) for ln in lines]
    extra = actions(offer_buttons(offers))
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
