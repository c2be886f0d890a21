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

from bot.teams.render import Names, line_card, quote_card
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


def reply_card(lines: Iterable[Line], names: Names, actions: Sequence[dict[str, Any]] = ()) -> Card:
    return card(lines_body(lines, names), actions)


def dependency_ask(lines: Iterable[Line], dep: str, names: Names) -> Card:
    """The providing team's ask: accept at once, or decline with a reason typed in the card."""
    decline_form = card(
        [{"type": "Input.Text", "id": "reason", "label": f"Why do you decline {dep}?", "isRequired": True,
          "errorMessage": "Say why, so the requesting team can plan around it.", "maxLength": 500,
          "isMultiline": True}],
        [action(f"Decline {dep}", "dep.decline", {"dep": dep}, style="destructive")],
    )  # fmt: skip
    decline_form.pop("$schema")
    decline_form.pop("version")
    return card(
        lines_body(lines, names),
        [action(f"Accept {dep}", "dep.accept", {"dep": dep}, style="positive"),
         {"type": "Action.ShowCard", "title": "Decline…", "card": decline_form}],
    )  # fmt: skip


def blocker_open(lines: Iterable[Line], blocker: str, names: Names) -> Card:
    return card(lines_body(lines, names), [action(f"Resolve {blocker}", "blocker.resolve", {"blocker": blocker})])


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


def standup_form(lines: Sequence[Line], run: dict[str, Any], names: Names) -> Card:
    """The stand-up as a form: one box per question, filled with this person's answers if any."""
    questions = [str(q) for q in run.get("questions") or []]
    answers: list[str] = []
    for r in run.get("responses") or []:
        answers = [str(a) for a in r.get("answers") or []]
    body = [text_block(f"Stand-up of {quote_card(str(run.get('team')))} ({quote_card(str(run.get('day')))})",
                       weight="Bolder")]  # fmt: skip
    for i, q in enumerate(questions, 1):
        field: dict[str, Any] = {"type": "Input.Text", "id": f"a{i}", "label": quote_card(q), "isMultiline": True,
                                 "isRequired": True, "errorMessage": "Answer each question (\"none\" is fine).",
                                 "maxLength": 2000}  # fmt: skip
        if i <= len(answers):
            field["value"] = answers[i - 1]
        body.append(field)
    if lines:
        body.append(text_block(line_card(lines[-1], names), subtle=True))
    data = {"team": run.get("team"), "questions": len(questions)}
    return card(body, [action("Send my stand-up", "standup.submit", data, style="positive")])


STATUSES = ("on-track", "at-risk", "off-track", "done")


def checkin_form(priorities: Sequence[dict[str, Any]], names: Names) -> Card:
    """The weekly check-in: for each priority I own, status, confidence, progress and a note."""
    body: list[dict[str, Any]] = [text_block("Your weekly check-in: for each priority, say how it is going.",
                                             weight="Bolder")]  # fmt: skip
    actions = []
    for p in priorities[:10]:
        pid = str(p["id"])
        body.append(text_block(f"{pid} {quote_card(str(p.get('title', '')))}", weight="Bolder"))
        body.append({"type": "Input.ChoiceSet", "id": f"status:{pid}", "label": "Status", "style": "compact",
                     "value": str(p.get("status") or "on-track"),
                     "choices": [{"title": s, "value": s} for s in STATUSES]})  # fmt: skip
        for key, label in (("confidence", "Confidence (0-100)"), ("progress", "Progress (0-100)")):
            value = p.get(key)
            field: dict[str, Any] = {"type": "Input.Number", "id": f"{key}:{pid}", "label": label, "min": 0, "max": 100}
            if isinstance(value, int):
                field["value"] = value
            body.append(field)
        body.append({"type": "Input.Text", "id": f"note:{pid}", "label": "Note", "maxLength": 2000})
        actions.append(action(f"Check in {pid}", "checkin.submit", {"priority": pid}))
    return card(body, actions)
