"""Slack modals drawn from the core's forms and offers (core.offers), and what a submission says.

Every input's block id is the core's field id and its action id is `value`; a modal keeps in its
private_metadata only which form or offer it is and what it is about (JSON of ids, never a person's
text, so it cannot be cut into something that is not JSON). A submission becomes `{field id: value}`
for core.offers.form_commands / command_for: no rule lives here, and every limit shown is the
core's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from bot.slack import render
from core.offers import Act, Field, FieldKind, Form, Offer
from core.reply import Line

VALUE = "value"
"""The action_id of every input in these modals (blocks are told apart by their block_id)."""
MAX_LABEL = 2000
MAX_PLACEHOLDER = 150
MAX_INITIAL = 3000
MAX_TITLE = 24
MAX_ERROR = 150


def _plain(text: str, limit: int = MAX_LABEL) -> dict[str, Any]:
    return {"type": "plain_text", "text": render.clip(text or " ", limit, plain=True), "emoji": False}


def _input(field: Field) -> dict[str, Any]:
    element: dict[str, Any]
    if field.kind is FieldKind.CHOICE:
        options = [{"text": _plain(c, 75), "value": c} for c in field.choices]
        element = {"type": "static_select", "action_id": VALUE, "options": options}
        if field.initial in field.choices:
            element["initial_option"] = next(o for o in options if o["value"] == field.initial)
    elif field.kind is FieldKind.DATE:
        element = {"type": "datepicker", "action_id": VALUE}
        if field.initial:
            element["initial_date"] = field.initial
    elif field.kind is FieldKind.PERCENT:
        element = {"type": "number_input", "action_id": VALUE, "is_decimal_allowed": False,
                   "min_value": "0", "max_value": "100"}  # fmt: skip
        if field.initial is not None:
            element["initial_value"] = field.initial
    else:
        # Slack counts UTF-16 units where the core counts characters: an answer of emoji the core took
        # must still fit as the initial value, so the box takes what it already holds.
        held = render.slack_len(field.initial) if field.initial else 0
        element = {"type": "plain_text_input", "action_id": VALUE, "multiline": field.kind is FieldKind.LONG_TEXT,
                   "max_length": min(max(field.max_length, held), MAX_INITIAL)}  # fmt: skip
        if field.initial:
            element["initial_value"] = render.clip(field.initial, MAX_INITIAL)
    block: dict[str, Any] = {"type": "input", "block_id": field.id, "label": _plain(field.label), "element": element,
                             "optional": not field.required}  # fmt: skip
    if field.hint:
        block["hint"] = _plain(field.hint, MAX_PLACEHOLDER)
    return block


def metadata(act: Act, subject: str, **more: str) -> str:
    """Which form or offer a modal is, as ids only (Slack allows 3,000 characters)."""
    return json.dumps({"act": act.value, "subject": subject, **more}, ensure_ascii=True)


def read_metadata(view: dict[str, Any]) -> dict[str, str]:
    """The modal's ids back; {} when they are not ours (a modal from another version, say)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        return {}
    return {k: v for k, v in meta.items() if isinstance(v, str)} if isinstance(meta, dict) else {}


def form_modal(form: Form, callback_id: str, lines: Sequence[Line] = ()) -> dict[str, Any]:
    """A form as a modal: a section heading per part, an input per field, what was left out at the end."""
    limit = render.MAX_SECTION_CHARS
    blocks: list[dict[str, Any]] = [render.section(render.clip(f"*{render.quote(form.title)}*", limit))]
    if form.intro:
        blocks.append(render.context(render.clip(render.quote(form.intro), limit)))
    for s in form.sections:
        if s.heading:
            blocks.append(render.section(render.clip(f"*{render.quote(s.heading)}*", limit)))
        blocks += [_input(f) for f in s.fields]
    if form.left_out:
        blocks.append(render.context(render.clip(render.escape(form.left_out), limit)))
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata(form.act, form.subject),
        "title": _plain(form.title.split(" (")[0], MAX_TITLE),
        "submit": _plain(form.submit, MAX_TITLE),
        "close": _plain("Cancel", MAX_TITLE),
        "blocks": blocks[: render.MAX_VIEW_BLOCKS],
    }


def ask_modal(offer: Offer, **more: str) -> dict[str, Any]:
    """What an offer needs before it runs (a reason to decline), asked in a modal."""
    return {
        "type": "modal",
        "callback_id": render.VIEW_ASK,
        "private_metadata": metadata(offer.act, offer.subject, **more),
        "title": _plain(f"{offer.label.rstrip('…')} {offer.subject}", MAX_TITLE),
        "submit": _plain(offer.label.rstrip("…"), MAX_TITLE),
        "close": _plain("Cancel", MAX_TITLE),
        "blocks": [_input(f) for f in offer.asks],
    }


def values(view: dict[str, Any]) -> dict[str, str | None]:
    """What was typed or picked, by field id (None for what was left empty)."""
    out: dict[str, str | None] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        element: dict[str, Any] = (actions or {}).get(VALUE) or next(iter((actions or {}).values()), {}) or {}
        if element.get("type") == "static_select":
            out[block_id] = (element.get("selected_option") or {}).get("value")
        elif element.get("type") == "datepicker":
            out[block_id] = element.get("selected_date")
        else:
            value = element.get("value")
            out[block_id] = None if value is None else str(value)
    return out


def error_for(field: str | None, fields: Iterable[str], message: str) -> dict[str, str]:
    """A refusal shown next to the input it is about (`field`, as the core named it), or the first."""
    known = list(fields)
    target = field if field in known else (known[0] if known else "")
    return {target: render.clip(message, MAX_ERROR)} if target else {}


def done_modal(title: str, lines: Sequence[Line]) -> dict[str, Any]:
    """What replaces the form once the core has taken it: what was recorded, and a Close button."""
    rendered = [render.mrkdwn_line(ln) for ln in lines] or ["Done."]
    return {
        "type": "modal",
        "title": _plain(title, MAX_TITLE),
        "close": _plain("Close", MAX_TITLE),
        "blocks": render.text_blocks(rendered, render.MAX_VIEW_BLOCKS),
    }
