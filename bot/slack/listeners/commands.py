"""`/flotilla <text>`: acknowledged at once, run after the ack (a lazy listener)."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.slack.adapter import SlackAdapter, guarded

COMMAND = "/flotilla"


def register(app: App, adapter: SlackAdapter) -> None:
    after_ack = guarded(adapter.on_error)

    def ack_command(ack: Ack) -> None:
        ack()

    @after_ack
    def run_command(body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        adapter.slash(body, context, respond)

    app.command(COMMAND)(ack=ack_command, lazy=[run_command])
