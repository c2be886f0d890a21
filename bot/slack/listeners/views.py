"""Modal submissions (bot.slack.submissions). The core runs before the ack, so that a refusal shows
inside the modal. A modal closed with Cancel changes nothing: acked (Slack sends view_closed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext

from bot.slack import render

if TYPE_CHECKING:
    from bot.slack.listeners import Flows


def register(app: App, flows: Flows) -> None:
    def submit_ask(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        flows.submissions.ask(ack, body, view, context)

    def submit_form(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        flows.submissions.form(ack, body, view, context)

    for callback in (render.VIEW_ASK, render.VIEW_ASK_BEFORE):
        app.view(callback)(submit_ask)
    for callback in (render.VIEW_STANDUP, render.VIEW_CHECKIN):
        app.view(callback)(submit_form)

    def closed(ack: Ack) -> None:
        ack()

    for callback in (render.VIEW_ASK, render.VIEW_ASK_BEFORE, render.VIEW_STANDUP, render.VIEW_CHECKIN):
        app.view_closed(callback)(closed)
