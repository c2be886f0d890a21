"""`/flotilla <text>`: kept in the job table, acknowledged, and run by a worker (bot.slack.jobs);
`standup` and `checkin` with nothing more open their modal right after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond

from bot.slack.adapter import SlackAdapter
from bot.slack.jobs import COMMAND as COMMAND_JOB

COMMAND = "/flotilla"


def register(app: App, adapter: SlackAdapter) -> None:

    def queue_command(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Kept before it is acked: once Slack has its ack, it will not send the command again."""
        adapter.enqueue(COMMAND_JOB, body, context)
        ack()

    def is_form(body: dict[str, Any]) -> bool:
        return adapter.form_command(body.get("text") or "") is not None

    def open_form(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        """`standup` / `checkin` with nothing more: ack, then open the modal at once on the urgent
        threads (not the small lazy pool), well inside the trigger_id's 3 s."""
        ack()
        adapter.at_once(adapter.slash_form, body, context, respond)

    app.command(COMMAND, matchers=[is_form])(open_form)  # first: bolt runs the first listener that matches
    app.command(COMMAND)(queue_command)
