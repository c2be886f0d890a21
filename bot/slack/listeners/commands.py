"""`/flotilla <text>`: acknowledged at once, run after the ack (a lazy listener); `standup` and
`checkin` with nothing more open their modal right after the ack."""

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

    def is_form(body: dict[str, Any]) -> bool:
        return adapter.form_command(body.get("text") or "") is not None

    def open_form(ack: Ack, body: dict[str, Any], context: BoltContext, respond: Respond) -> None:
        """`standup` / `checkin` with nothing more: ack, then open the modal at once on the urgent
        threads (not the small lazy pool), well inside the trigger_id's 3 s."""
        ack()
        adapter.at_once(adapter.slash_form, body, context, respond)

    app.command(COMMAND, matchers=[is_form])(open_form)  # first: bolt runs the first listener that matches
    app.command(COMMAND)(ack=ack_command, lazy=[run_command])
