"""Events API: `@Flotilla <text>` mentions (kept in the job table, acked, run by a worker) and
the App Home tab (acked at once, handled after)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, BoltContext

from bot.slack.adapter import event_key, guarded, workspace_of
from bot.slack.jobs import MENTION

if TYPE_CHECKING:
    from bot.slack.listeners import Flows

EVENTS = ("app_home_opened", "app_mention")
"""Every event this app subscribes to (manifest.yaml lists exactly these)."""


def register(app: App, flows: Flows) -> None:
    after_ack = guarded(flows.adapter.on_error)

    def ack_event(ack: Ack) -> None:
        ack()

    def queue_mention(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        """Kept (once per event id: Slack redelivers unacked events) before it is acked. A mention
        without `user` (a workflow's or another app's message) speaks for nobody: acked, not run."""
        if (body.get("event") or {}).get("user"):
            flows.typed.enqueue(MENTION, body, context, claim=event_key(workspace_of(context), body))
        ack()

    @after_ack
    def on_home_opened(event: dict[str, Any], context: BoltContext) -> None:
        flows.homes.opened(event, context)

    app.event("app_mention")(queue_mention)
    app.event("app_home_opened")(ack=ack_event, lazy=[on_home_opened])
