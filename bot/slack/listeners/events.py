"""Events API: `@Flotilla <text>` mentions and the App Home tab. Bolt acknowledges events itself."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext

from bot.slack.adapter import SlackAdapter

EVENTS = ("app_home_opened", "app_mention")
"""Every event this app subscribes to (manifest.yaml lists exactly these)."""


def register(app: App, adapter: SlackAdapter) -> None:
    @app.event("app_mention")
    def on_mention(body: dict[str, Any], event: dict[str, Any], context: BoltContext) -> None:
        adapter.mention(body, event, context)

    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], context: BoltContext) -> None:
        adapter.home_opened(event, context)
