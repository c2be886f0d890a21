"""Slack's documented Block Kit limits, checked the way Slack checks them, for the stand-in.

Sources (docs.slack.dev, Block Kit reference): blocks per message 50, per modal and App Home 100;
section text 3,000, section fields 10 of 2,000; header text 150; context 10 elements; actions 25
elements; input label and hint 2,000; button text 75, value 2,000; option text 75, value 150, 100
options; placeholders 150; action_id and block_id 255; plain_text_input max_length 1-3,000 (an
initial value longer than the input allows cannot be shown); modal title, submit and close 24;
private_metadata and callback_id 3,000 and 255.

Lengths are counted on the text as Slack holds it: after `&`, `<` and `>` are escaped (`&amp;`
is five characters), and in UTF-16 code units (an emoji outside the BMP is two), the stricter of
the ways a length can be counted. Errors read like Slack's: `must be less than 3001 characters
[json-pointer:/blocks/0/text/text]`.
"""

from __future__ import annotations

import re
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100


def slack_length(text: str, escaped: bool) -> int:
    """Characters as Slack counts them: UTF-16 code units, after escaping when Slack escapes."""
    if not escaped:
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return len(text.encode("utf-16-le")) // 2


class _Check:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, where: str, why: str) -> None:
        self.errors.append(f"{why} [json-pointer:{where}]")

    def length(self, where: str, value: Any, limit: int, *, escaped: bool = True, required: bool = True) -> None:
        if value is None:
            if required:
                self.fail(where, "must be provided")
            return
        if not isinstance(value, str):
            self.fail(where, "must be a string")
            return
        if required and not value:
            self.fail(where, "must be more than 0 characters")
        if slack_length(value, escaped) > limit:
            self.fail(where, f"must be less than {limit + 1} characters")

    def text(self, where: str, obj: Any, limit: int, *, plain_only: bool = False) -> None:
        if not isinstance(obj, dict):
            self.fail(where, "must be a text object")
            return
        kind = obj.get("type")
        if kind not in ("plain_text", "mrkdwn") or (plain_only and kind != "plain_text"):
            self.fail(where + "/type", "must be plain_text" if plain_only else "must be plain_text or mrkdwn")
        # mrkdwn arrives escaped by the app; plain_text is escaped by Slack before it is counted
        self.length(where + "/text", obj.get("text"), limit, escaped=kind == "mrkdwn")

    def id_(self, where: str, value: Any) -> None:
        if value is not None:
            self.length(where, value, 255)

    def option(self, where: str, opt: Any) -> None:
        if not isinstance(opt, dict):
            self.fail(where, "must be an option object")
            return
        self.text(where + "/text", opt.get("text"), 75)
        self.length(where + "/value", opt.get("value"), 150)

    def element(self, where: str, el: Any) -> None:
        if not isinstance(el, dict):
            self.fail(where, "must be an element")
            return
        kind = el.get("type")
        self.id_(where + "/action_id", el.get("action_id"))
        if "placeholder" in el:
            self.text(where + "/placeholder", el["placeholder"], 150, plain_only=True)
        if kind == "button":
            self.text(where + "/text", el.get("text"), 75, plain_only=True)
            self.length(where + "/value", el.get("value"), 2000, required=False)
            if el.get("style") not in (None, "primary", "danger"):
                self.fail(where + "/style", "must be primary or danger")
        elif kind == "static_select":
            options = el.get("options") or []
            if not 0 < len(options) <= 100:
                self.fail(where + "/options", "must provide between 1 and 100 items")
            for i, opt in enumerate(options):
                self.option(f"{where}/options/{i}", opt)
            if "initial_option" in el:
                self.option(where + "/initial_option", el["initial_option"])
                if el["initial_option"] not in options:
                    self.fail(where + "/initial_option", "must match one of the options")
        elif kind == "plain_text_input":
            most = el.get("max_length", 3000)
            if not isinstance(most, int) or not 1 <= most <= 3000:
                self.fail(where + "/max_length", "must be between 1 and 3000")
                most = 3000
            initial = el.get("initial_value")
            if initial is not None:
                self.length(where + "/initial_value", initial, most, escaped=True, required=False)
        elif kind == "number_input":
            if "is_decimal_allowed" not in el:
                self.fail(where + "/is_decimal_allowed", "must be provided")
        elif kind == "datepicker":  # initial_date, when given, is YYYY-MM-DD
            initial = el.get("initial_date")
            if initial is not None and not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", str(initial)):
                self.fail(where + "/initial_date", "must be in the format YYYY-MM-DD")
        else:
            self.fail(where + "/type", f"unsupported element type {kind!r} for this stand-in")

    def block(self, where: str, block: Any) -> None:
        if not isinstance(block, dict):
            self.fail(where, "must be a block")
            return
        kind = block.get("type")
        self.id_(where + "/block_id", block.get("block_id"))
        if kind == "section":
            if "text" not in block and "fields" not in block:
                self.fail(where, "must provide text or fields")
            if "text" in block:
                self.text(where + "/text", block["text"], 3000)
            fields = block.get("fields") or []
            if len(fields) > 10:
                self.fail(where + "/fields", "must provide no more than 10 items")
            for i, f in enumerate(fields):
                self.text(f"{where}/fields/{i}", f, 2000)
            if "accessory" in block:
                self.element(where + "/accessory", block["accessory"])
        elif kind == "header":
            self.text(where + "/text", block.get("text"), 150, plain_only=True)
        elif kind == "context":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 10:
                self.fail(where + "/elements", "must provide between 1 and 10 items")
            for i, el in enumerate(elements):
                self.text(f"{where}/elements/{i}", el, 3000)
        elif kind == "actions":
            elements = block.get("elements") or []
            if not 0 < len(elements) <= 25:
                self.fail(where + "/elements", "must provide between 1 and 25 items")
            for i, el in enumerate(elements):
                self.element(f"{where}/elements/{i}", el)
        elif kind == "input":
            self.text(where + "/label", block.get("label"), 2000, plain_only=True)
            if "hint" in block:
                self.text(where + "/hint", block["hint"], 2000, plain_only=True)
            self.element(where + "/element", block.get("element"))
        elif kind != "divider":
            self.fail(where + "/type", f"unsupported block type {kind!r} for this stand-in")

    def blocks(self, where: str, blocks: Any, limit: int) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self.fail(where, "must be an array")
            return
        if len(blocks) > limit:
            self.fail(where, f"must provide no more than {limit} items")
        for i, b in enumerate(blocks):
            self.block(f"{where}/{i}", b)


def message_errors(message: dict[str, Any]) -> list[str]:
    """A chat message (chat.postMessage, chat.update, a response_url post)."""
    check = _Check()
    check.blocks("/blocks", message.get("blocks"), MESSAGE_BLOCKS)
    if message.get("text") is not None:
        check.length("/text", message.get("text"), 40_000, required=False)
    return check.errors


def view_errors(view: dict[str, Any]) -> list[str]:
    """A modal or App Home view (views.open, views.update, views.push, views.publish, an ack's view)."""
    check = _Check()
    kind = view.get("type")
    if kind not in ("modal", "home"):
        check.fail("/view/type", "must be modal or home")
    check.blocks("/view/blocks", view.get("blocks"), VIEW_BLOCKS)
    check.length("/view/private_metadata", view.get("private_metadata"), 3000, required=False)
    check.id_("/view/callback_id", view.get("callback_id"))
    if kind == "modal":
        check.text("/view/title", view.get("title"), 24, plain_only=True)
        for key in ("submit", "close"):
            if key in view:
                check.text(f"/view/{key}", view[key], 24, plain_only=True)
    return check.errors


def errors_errors(errors: dict[str, Any]) -> list[str]:
    """`response_action: errors` of a view submission: each keyed by a block_id, a short message."""
    check = _Check()
    for block_id, message in errors.items():
        check.id_(f"/errors/{block_id}", block_id)
        check.length(f"/errors/{block_id}", message, 3000, escaped=False)
    return check.errors
