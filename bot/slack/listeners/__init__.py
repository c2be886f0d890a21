"""Listeners, registered by kind: one module each for commands, events, actions and views."""

from __future__ import annotations

from slack_bolt import App

from bot.slack.adapter import SlackAdapter
from bot.slack.listeners import actions, commands, events, views


def register(app: App, adapter: SlackAdapter) -> None:
    commands.register(app, adapter)
    events.register(app, adapter)
    actions.register(app, adapter)
    views.register(app, adapter)
