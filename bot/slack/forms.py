"""The stand-up and weekly check-in as Slack modals: built from the core's Reply.data, read back
into the same commands a person would type. No rule lives here: what an answer may be, which
priorities are yours, what a status change implies — the core decides and its refusals are shown
in the modal next to the field they are about.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from bot.slack import render
from core import commands
from core.model import Status
from core.reply import Line

VALUE = "value"
"""The action_id of every input in these modals (blocks are told apart by their block_id)."""
STATUSES = ("on-track", "at-risk", "off-track", "done")
MAX_PRIORITIES = 15
"""Each priority takes five blocks; a modal holds at most 100."""
MAX_QUESTIONS = 20
MAX_LABEL = 2000
MAX_INITIAL = 3000
MAX_ERROR = 150
_ANSWER = re.compile(r"\banswer (\d+)\b")


def _plain(text: str, limit: int = MAX_LABEL) -> dict[str, Any]:
    return {"type": "plain_text", "text": render.clip(text or " ", limit, plain=True), "emoji": False}


def _values(view: dict[str, Any]) -> dict[str, dict[str, Any]]:
    values: dict[str, dict[str, Any]] = (view.get("state") or {}).get("values") or {}
    return values


def _value(view: dict[str, Any], block_id: str) -> str | None:
    """What was typed or picked in one input (None if left empty)."""
    element = (_values(view).get(block_id) or {}).get(VALUE) or {}
    if element.get("type") == "static_select":
        return ((element.get("selected_option") or {}).get("value")) or None
    value = element.get("value")
    return None if value is None else str(value)


def fingerprint(*parts: Any) -> str:
    """Short and stable: a double submit of the same values gets the same claim key."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


# --- stand-up ---------------------------------------------------------------------------------


def standup_modal(run: dict[str, Any], lines: Sequence[Line]) -> dict[str, Any]:
    """One box per question, filled with this person's answers if any (the run's JSON from the core)."""
    questions = [str(q) for q in run.get("questions") or []][:MAX_QUESTIONS]
    answers: list[str] = []
    for r in run.get("responses") or []:
        answers = [str(a) for a in r.get("answers") or []]
    blocks: list[dict[str, Any]] = [render.section(f"*Stand-up of {render.quote(str(run.get('team')))}* "
                                                   f"({render.escape(str(run.get('day')))})")]  # fmt: skip
    for i, q in enumerate(questions, 1):
        element: dict[str, Any] = {"type": "plain_text_input", "action_id": VALUE, "multiline": True}
        if i <= len(answers) and answers[i - 1]:
            element["initial_value"] = render.clip(answers[i - 1], MAX_INITIAL)
        blocks.append({"type": "input", "block_id": f"a{i}", "label": _plain(q), "element": element})
    if lines:
        blocks.append(render.context(render.clip(render.mrkdwn_line(lines[-1]), render.MAX_SECTION_CHARS)))
    meta = {"team": run.get("team"), "questions": len(questions)}
    return {
        "type": "modal",
        "callback_id": render.VIEW_STANDUP,
        "private_metadata": json.dumps(meta),
        "title": _plain("Stand-up", 24),
        "submit": _plain("Send", 24),
        "close": _plain("Cancel", 24),
        "blocks": blocks,
    }


def standup_command(view: dict[str, Any]) -> commands.Standup:
    meta = json.loads(view.get("private_metadata") or "{}")
    count = meta.get("questions")
    if not isinstance(count, int) or not 0 < count <= MAX_QUESTIONS:
        raise ValueError("a stand-up modal without its question count")
    team = meta.get("team")
    return commands.Standup(answers=tuple(_value(view, f"a{i}") or "" for i in range(1, count + 1)),
                            team=team if isinstance(team, str) else None)  # fmt: skip


def standup_errors(message: str, count: int) -> dict[str, str]:
    """The core's refusal, next to the answer it names (else the first)."""
    m = _ANSWER.search(message)
    n = int(m.group(1)) if m and 0 < int(m.group(1)) <= count else 1
    return {f"a{n}": render.clip(message, MAX_ERROR)}


# --- weekly check-in --------------------------------------------------------------------------


def _option(status: str) -> dict[str, Any]:
    return {"text": _plain(status), "value": status}


def _number(block_id: str, label: str, value: Any) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "number_input", "action_id": VALUE, "is_decimal_allowed": False}
    if isinstance(value, int):
        element["initial_value"] = str(value)
    return {"type": "input", "block_id": block_id, "optional": True, "label": _plain(label), "element": element}


def checkin_modal(priorities: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """For each priority I own (the core's list): status, confidence, progress and a note."""
    shown = list(priorities)[:MAX_PRIORITIES]
    blocks: list[dict[str, Any]] = []
    meta: dict[str, dict[str, Any]] = {}
    for p in shown:
        pid = str(p["id"])
        status = str(p.get("status") or "on-track")
        meta[pid] = {"status": status, "confidence": p.get("confidence"), "progress": p.get("progress")}
        title = f"*{render.escape(pid)}* {render.quote(str(p.get('title') or ''))}"
        blocks.append(render.section(render.clip(title, render.MAX_SECTION_CHARS)))
        select: dict[str, Any] = {"type": "static_select", "action_id": VALUE,
                                  "options": [_option(s) for s in STATUSES]}  # fmt: skip
        if status in STATUSES:
            select["initial_option"] = _option(status)
        blocks.append({"type": "input", "block_id": f"status:{pid}", "label": _plain("Status"), "element": select})
        blocks.append(_number(f"confidence:{pid}", "Confidence (0-100)", p.get("confidence")))
        blocks.append(_number(f"progress:{pid}", "Progress (0-100)", p.get("progress")))
        blocks.append({"type": "input", "block_id": f"note:{pid}", "optional": True, "label": _plain("Note"),
                       "element": {"type": "plain_text_input", "action_id": VALUE, "multiline": True}})  # fmt: skip
    if len(priorities) > len(shown):
        more = len(priorities) - len(shown)
        blocks.append(render.context(f"…and {more} more: check those in with `checkin P-n`."))
    return {
        "type": "modal",
        "callback_id": render.VIEW_CHECKIN,
        "private_metadata": json.dumps({"priorities": meta}),  # 15 ids and numbers: far under 3,000
        "title": _plain("Weekly check-in", 24),
        "submit": _plain("Check in", 24),
        "close": _plain("Cancel", 24),
        "blocks": blocks,
    }


def _percent(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise ValueError("Give a whole number.") from None


def checkin_commands(view: dict[str, Any]) -> tuple[list[tuple[str, commands.Checkin]], dict[str, str]]:
    """One `checkin P-n` per priority, with only what the person changed in the form (nothing
    changed: the core confirms it unchanged); and the fields that are not even numbers."""
    meta = json.loads(view.get("private_metadata") or "{}").get("priorities") or {}
    out: list[tuple[str, commands.Checkin]] = []
    errors: dict[str, str] = {}
    for pid, was in meta.items():
        m = re.fullmatch(r"P-(\d{1,9})", str(pid))
        if m is None or not isinstance(was, dict):
            continue
        raw_status = _value(view, f"status:{pid}")
        status = Status(raw_status) if raw_status in STATUSES else None
        numbers: dict[str, int | None] = {}
        for key in ("confidence", "progress"):
            try:
                numbers[key] = _percent(_value(view, f"{key}:{pid}"))
            except ValueError as e:
                errors[f"{key}:{pid}"] = str(e)
        note = (_value(view, f"note:{pid}") or "").strip() or None
        out.append((pid, commands.Checkin(
            number=int(m.group(1)),
            status=status if status is not None and status.value != was.get("status") else None,
            confidence=numbers.get("confidence") if numbers.get("confidence") != was.get("confidence") else None,
            progress=numbers.get("progress") if numbers.get("progress") != was.get("progress") else None,
            note=note,
        )))  # fmt: skip
    return out, errors


def checkin_error(pid: str, message: str) -> dict[str, str]:
    """The core's refusal about one priority, next to the field it is about."""
    low = message.lower()
    field = next((f for f in ("confidence", "progress", "note") if f in low), "status")
    return {f"{field}:{pid}": render.clip(message, MAX_ERROR)}


def done_modal(title: str, lines: Sequence[Line]) -> dict[str, Any]:
    """What replaces the form once the core has taken it: what was recorded, and a Close button."""
    rendered = [render.mrkdwn_line(ln) for ln in lines] or ["Done."]
    return {
        "type": "modal",
        "title": _plain(title, 24),
        "close": _plain("Close", 24),
        "blocks": render.text_blocks(rendered, render.MAX_VIEW_BLOCKS),
    }
