"""`/flotilla <text>`: kept in the job table, acknowledged, and run by a worker (bot.slack.typed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext

from bot.slack.jobs import COMMAND as COMMAND_JOB

if TYPE_CHECKING:
    from bot.slack.listeners import Flows

COMMAND = "/flotilla"


def register(app: App, flows: Flows) -> None:
    def queue_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Kept before it is acked: once Slack has its ack, it will not send the command again."""
        flows.typed.enqueue(COMMAND_JOB, body, context)
        ack()

    app.command(COMMAND)(queue_command)
