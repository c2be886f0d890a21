"""Replies that fit in Teams: measured as Teams measures them (bot.teams.size), a long answer goes
out as several messages, and `--json` too long for one message becomes something a Teams user can
open: a file in a personal chat (bot.teams.files), or a few messages in a channel or group chat.
Never an instruction to run a command line the person may not have.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.schema import Activity

from bot.teams import size
from bot.teams.render import code_block, system_markdown

MAX_PARTS = 10
"""At most this many messages for one `--json` answer in a channel or group chat; past it the
person is asked to request it in their personal chat, where it comes as one file."""

AsSent = Callable[[Activity], dict[str, Any]]


def as_sent(turn_context: TurnContext) -> AsSent:
    """The activity as the connector will receive it: with the conversation, sender and recipient
    that `send_activity` fills in, since Teams counts the whole activity."""
    reference = TurnContext.get_conversation_reference(turn_context.activity)

    def serialised(activity: Activity) -> dict[str, Any]:
        sent = TurnContext.apply_conversation_reference(copy.deepcopy(activity), reference)
        data: dict[str, Any] = sent.serialize()
        return data

    return serialised


def text_message(text: str) -> Activity:
    activity = MessageFactory.text(text)
    activity.text_format = "markdown"
    return activity


def room_for_text(activity: Activity, measure: AsSent) -> int:
    """UTF-16 bytes of text the activity can carry beside everything else it holds."""
    bare = copy.copy(activity)
    bare.text = ""
    return size.BUDGET - size.activity_size(measure(bare))


def fitted(activity: Activity, measure: AsSent) -> list[Activity]:
    """The activity, or its text split between paragraphs over as many messages as it takes; the
    attachments (a card, a picture) go with the last one."""
    if not activity.text or size.activity_size(measure(activity)) <= size.BUDGET:
        return [activity]
    parts = list(size.pieces(activity.text, max(room_for_text(activity, measure), 1024)))
    out = []
    for i, part in enumerate(parts):
        piece = copy.copy(activity)
        piece.text = part
        piece.attachments = activity.attachments if i == len(parts) - 1 else None
        out.append(piece)
    return out


def kilobytes(text: str) -> str:
    return f"{max(1, round(size.utf16(text) / 1024))} KB"


def json_parts(text: str, measure: AsSent) -> list[Activity] | None:
    """`--json` in code blocks over a few messages, or None when that would take too many."""
    header = "JSON, part {i} of {n}:\n\n"
    wrapper = text_message(header.format(i=MAX_PARTS, n=MAX_PARTS) + code_block(""))
    room = room_for_text(wrapper, measure) - size.escaped(wrapper.text)
    chunks = list(size.pieces(text, max(room, 1024)))
    if len(chunks) > MAX_PARTS:
        return None
    n = len(chunks)
    return [text_message(header.format(i=i, n=n) + code_block(chunk)) for i, chunk in enumerate(chunks, 1)]


def too_many_parts(text: str) -> Activity:
    return text_message(system_markdown(
        f"That is {kilobytes(text)} of JSON, too long to post here. Ask me for it in our personal chat "
        "(the same command, with `--json`): there it comes as a file you can open."))  # fmt: skip


_WORD = re.compile(r"[a-z0-9][a-z0-9-]*")


def file_name(typed: str, now: datetime) -> str:
    """`team list --json` on 2026-11-23 -> flotilla-team-list-2026-11-23.json."""
    words = []
    for token in typed.lower().split():
        if token.startswith(("-", "—", "–", '"', "“", "<")) or not _WORD.fullmatch(token):
            break
        words.append(token)
    return "-".join(["flotilla", *words[:3], now.date().isoformat()]) + ".json"


def file_offer_text(text: str, name: str) -> str:
    return system_markdown(
        f"That is {kilobytes(text)} of JSON, more than one Teams message holds. Accept the file below and "
        f"I'll put {name} in your OneDrive."
    )
