"""Buttons, each one of the core's offers (bot.slack.clicks). Ack first, act after: a button that
opens a modal acts at once (its trigger lasts 3 s), the others on the lazy pool."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext

from bot.slack import render
from bot.slack.adapter import guarded

if TYPE_CHECKING:
    from bot.slack.listeners import Flows


def register(app: App, flows: Flows) -> None:
    after_ack = guarded(flows.adapter.on_error)

    def ack_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        if flows.clicks.needs_a_modal(action):
            flows.adapter.at_once(lambda b: flows.clicks.click(b, action, context), body)

    @after_ack
    def run_button(body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        if not flows.clicks.needs_a_modal(action):
            flows.clicks.click(body, action, context)

    for action_id in render.ACTION_IDS.values():
        app.action(action_id)(ack=ack_action, lazy=[run_button])
