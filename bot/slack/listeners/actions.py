"""Buttons: accept, decline (opens a form), mark delivered, resolve, open the stand-up or check-in
form. Ack first, act after."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.slack import render
from bot.slack.adapter import SlackAdapter, guarded


def register(app: App, adapter: SlackAdapter) -> None:
    after_ack = guarded(adapter.on_error)

    def ack_action(ack: Ack) -> None:
        ack()

    @after_ack
    def run_button(body: dict[str, Any], action: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        adapter.button(body, action, context, respond)

    @after_ack
    def open_decline(body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        adapter.open_decline(body, action, context)

    for action_id in (render.ACTION_DEP_ACCEPT, render.ACTION_DEP_DONE, render.ACTION_BLOCKER_RESOLVE):
        app.action(action_id)(ack=ack_action, lazy=[run_button])
    app.action(render.ACTION_DEP_DECLINE)(ack=ack_action, lazy=[open_decline])

    def open_form(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        adapter.at_once(adapter.open_form, body, action, context)  # not the lazy pool: the trigger lasts 3 s

    for action_id in (render.ACTION_STANDUP_OPEN, render.ACTION_CHECKIN_OPEN):
        app.action(action_id)(open_form)
