"""Listeners, registered by kind: one module each for commands, events, actions and views. Each
only picks the flow (bot.slack.typed, clicks, submissions, home) and acks in time."""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt import App

from bot.slack.adapter import SlackAdapter
from bot.slack.clicks import Clicks
from bot.slack.home import Homes
from bot.slack.submissions import Submissions
from bot.slack.typed import Typed


@dataclass
class Flows:
    adapter: SlackAdapter
    typed: Typed
    clicks: Clicks
    submissions: Submissions
    homes: Homes

    @classmethod
    def of(cls, adapter: SlackAdapter) -> Flows:
        return cls(adapter, Typed(adapter), Clicks(adapter), Submissions(adapter), Homes(adapter))


def register(app: App, flows: Flows) -> None:
    from bot.slack.listeners import actions, commands, events, views

    commands.register(app, flows)
    events.register(app, flows)
    actions.register(app, flows)
    views.register(app, flows)
