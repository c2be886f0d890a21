"""Events API: `@Flotilla <text>` mentions and the App Home tab. Acked at once, handled after."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.slack.adapter import SlackAdapter, guarded

EVENTS = ("app_home_opened", "app_mention")
"""Every event this app subscribes to (manifest.yaml lists exactly these)."""


def register(app: App, adapter: SlackAdapter) -> None:
    after_ack = guarded(adapter.on_error)

    def ack_event(ack: Ack) -> None:
        ack()

    @after_ack
    def on_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        adapter.mention(body, event, context)

    @after_ack
    def on_home_opened(event: dict[str, Any], context: BoltContext) -> None:
        adapter.home_opened(event, context)

    app.event("app_mention")(ack=ack_event, lazy=[on_mention])
    app.event("app_home_opened")(ack=ack_event, lazy=[on_home_opened])
