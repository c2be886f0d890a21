"""`/flotilla <text>`: kept in the job table, acknowledged, and run by a worker (bot.slack.jobs);
`standup` and `checkin` with nothing more open their modal right after the ack."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest, Respond

from bot.slack.adapter import SlackAdapter
from bot.slack.jobs import COMMAND as COMMAND_JOB

COMMAND = "/flotilla"


def replay_key(request: BoltRequest) -> str | None:
    """The claim that makes a replayed command (the same body and signature, sent again within the
    five minutes a signature is good for) a no-op. None in Socket Mode: nothing is signed there."""
    signature = next(iter(request.headers.get("x-slack-signature") or []), None)
    return f"signed:{signature}" if signature else None


def register(app: App, adapter: SlackAdapter) -> None:

    def queue_command(ack: Ack, body: dict[str, Any], context: BoltContext, request: BoltRequest) -> None:
        """Kept before it is acked: once Slack has its ack, it will not send the command again. Kept
        once per signature: the same signed request sent again (a replay) runs nothing."""
        adapter.enqueue(COMMAND_JOB, body, context, claim=replay_key(request))
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
