"""Adaptive Cards 1.5 as plain JSON-ready dicts: replies, asks with buttons, and forms.

Every button is an `Action.Execute` (Universal Actions: Teams answers with an
`adaptiveCard/action` invoke and the card is replaced in place) with an `Action.Submit` fallback
for clients without Universal Actions (a message whose `value` is the same data). Both carry
`{"flotilla": <verb>, ...}`; bot.teams.actions turns that into a core command. Cards stay within
what the published 1.5 JSON schema accepts (no `msteams` block, no Table).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from bot.teams.actions import FORM_SUBMIT
from bot.teams.render import Names, line_card, quote_card
from core.offers import Act, Field, FieldKind, Form, Offer
from core.reply import Line

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"

Card = dict[str, Any]


def card(body: Sequence[dict[str, Any]], actions: Sequence[dict[str, Any]] = (), fallback_text: str = "") -> Card:
    out: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "body": list(body)}
    if actions:
        out["actions"] = list(actions)
    if fallback_text:
        out["fallbackText"] = fallback_text
    return out


def text_block(
    text: str, *, subtle: bool = False, weight: str | None = None, color: str | None = None
) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    if weight:
        block["weight"] = weight
    if color:
        block["color"] = color
    return block


def lines_body(lines: Iterable[Line], names: Names) -> list[dict[str, Any]]:
    return [text_block(line_card(ln, names)) for ln in lines]


def action(title: str, verb: str, data: dict[str, Any] | None = None, *, style: str | None = None) -> dict[str, Any]:
    """A button: Action.Execute, falling back to Action.Submit with the same data."""
    payload = {"flotilla": verb, **(data or {})}
    submit: dict[str, Any] = {"type": "Action.Submit", "title": title, "data": payload}
    execute: dict[str, Any] = {"type": "Action.Execute", "title": title, "verb": verb, "data": payload,
                               "fallback": submit}  # fmt: skip
    if style:
        execute["style"] = submit["style"] = style
    return execute


STYLES = {"primary": "positive", "danger": "destructive"}


def _title(o: Offer) -> str:
    """A button's title: the core's label, naming what it acts on (`Accept D-1`)."""
    return o.label if o.label.endswith("…") or not o.subject or o.act in OPENERS else f"{o.label} {o.subject}"


OPENERS = (Act.STANDUP_OPEN, Act.CHECKIN_OPEN)


def _input(f: Field) -> dict[str, Any]:
    if f.kind is FieldKind.CHOICE:
        choices = [{"title": c, "value": c} for c in f.choices]
        block: dict[str, Any] = {"type": "Input.ChoiceSet", "id": f.id, "label": quote_card(f.label),
                                 "style": "compact", "choices": choices}  # fmt: skip
    elif f.kind is FieldKind.PERCENT:
        block = {"type": "Input.Number", "id": f.id, "label": quote_card(f.label), "min": 0, "max": 100}
    elif f.kind is FieldKind.DATE:
        block = {"type": "Input.Date", "id": f.id, "label": quote_card(f.label)}
    else:
        block = {"type": "Input.Text", "id": f.id, "label": quote_card(f.label), "maxLength": f.max_length,
                 "isMultiline": f.kind is FieldKind.LONG_TEXT}  # fmt: skip
    if f.initial is not None and f.initial != "":
        block["value"] = int(f.initial) if f.kind is FieldKind.PERCENT and f.initial.isdigit() else f.initial
    if f.required:
        block["isRequired"] = True
        block["errorMessage"] = quote_card(f.hint or f"{f.label}: this one is needed.")
    return block


def offer_actions(offers: Sequence[Offer]) -> list[dict[str, Any]]:
    """A button per offer; one that asks something first opens, in the card, the inputs it needs."""
    out = []
    for o in offers:
        data = {"subject": o.subject}
        if not o.asks:
            out.append(action(_title(o), o.act.value, data, style=STYLES.get(o.style or "")))
            continue
        send = action(f"{o.label.rstrip('…')} {o.subject}".strip(), o.act.value, data, style="destructive")
        ask = card([_input(f) for f in o.asks], [send])
        ask.pop("$schema")
        ask.pop("version")
        out.append({"type": "Action.ShowCard", "title": o.label, "card": ask})
    return out


def message_card(lines: Iterable[Line], offers: Sequence[Offer], names: Names) -> Card:
    """Lines with the offers' buttons under them."""
    return card(lines_body(lines, names), offer_actions(offers))


def form_card(form: Form) -> Card:
    """A form as a card: every part's inputs, and one button that sends them all."""
    body: list[dict[str, Any]] = [text_block(quote_card(form.title), weight="Bolder")]
    if form.intro:
        body.append(text_block(quote_card(form.intro), subtle=True))
    for s in form.sections:
        if s.heading:
            body.append(text_block(quote_card(s.heading), weight="Bolder"))
        body += [_input(f) for f in s.fields]
    if form.left_out:
        body.append(text_block(quote_card(form.left_out), subtle=True))
    data = {"form": form.act.value, "subject": form.subject}
    return card(body, [action(form.submit, FORM_SUBMIT, data, style="positive")])


def recorded(lines: Iterable[Line], names: Names, by: str) -> Card:
    """What replaces a card once its button or form was used: what was recorded, and by whom."""
    body = lines_body(lines, names)
    body.append(text_block(f"Recorded for {quote_card(by)}.", subtle=True))
    return card(body)


def refused(message: str, usage: str | None) -> Card:
    body = [text_block(quote_card(message), color="attention")]
    if usage:
        body.append(text_block(f"Usage: {quote_card(usage)}", subtle=True))
    return card(body)
