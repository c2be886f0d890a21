"""Modal submissions. The core runs before the ack so that a refusal shows inside the modal.
A modal closed with Cancel changes nothing: acked (Slack sends view_closed when asked to)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack import render
from bot.slack.adapter import SlackAdapter


def register(app: App, adapter: SlackAdapter) -> None:
    @app.view(render.VIEW_DEP_DECLINE)
    def submit_decline(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        adapter.submit_decline(ack, body, view, context)

    @app.view(render.VIEW_STANDUP)
    def submit_standup(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        adapter.submit_standup(ack, body, view, context)

    @app.view(render.VIEW_CHECKIN)
    def submit_checkin(ack: Ack, body: dict[str, Any], view: dict[str, Any], context: BoltContext) -> None:
        adapter.submit_checkin(ack, body, view, context)

    def closed(ack: Ack) -> None:
        ack()

    for callback_id in (render.VIEW_DEP_DECLINE, render.VIEW_STANDUP, render.VIEW_CHECKIN):
        app.view_closed(callback_id)(closed)
