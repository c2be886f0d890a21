"""`/flotilla <text>`: kept in the job table, acknowledged, and run by a worker (bot.slack.typed)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext, BoltRequest

from bot.slack.jobs import COMMAND as COMMAND_JOB

if TYPE_CHECKING:
    from bot.slack.listeners import Flows

COMMAND = "/flotilla"


def replay_key(request: BoltRequest) -> str | None:
    """The claim that makes a replayed command (the same body and signature, sent again within the
    five minutes a signature is good for) a no-op. None in Socket Mode: nothing is signed there."""
    signature = next(iter(request.headers.get("x-slack-signature") or []), None)
    return f"signed:{signature}" if signature else None


def register(app: App, flows: Flows) -> None:
    def queue_command(ack: Ack, body: dict[str, Any], context: BoltContext, request: BoltRequest) -> None:
        """Kept before it is acked: once Slack has its ack, it will not send the command again. Kept
        once per signature: the same signed request sent again (a replay) runs nothing."""
        flows.typed.enqueue(COMMAND_JOB, body, context, claim=replay_key(request))
        ack()

    app.command(COMMAND)(queue_command)
