"""Typed commands: `/flotilla <text>` and `@Flotilla <text>`, one flow.

Before the ack the request is kept in the database (bot.slack.jobs); a worker runs it through the
shared grammar and answers where the request came from: a slash command through its response_url,
a mention in the message's thread, through the outbox. A reply with a form (`standup`, `checkin`)
opens it as a modal while the command's trigger is still fresh, and otherwise answers with the
button that opens it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt.context.respond import Respond
from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from bot.conversation import Outcome
from bot.slack import render
from bot.slack.adapter import Finish, SlackAdapter, command_text, home_channel, usage_lines, workspace_of
from bot.slack.jobs import COMMAND, MENTION, Job
from bot.slack.modals import form_modal
from core.offers import Act, Offer, checkin_offer, standup_offer
from core.ports import OutboxMessage
from core.reply import Line, line

JOB_CONTEXT = ("team_id", "enterprise_id", "is_enterprise_install", "bot_user_id")
"""What a job keeps of bolt's context: enough to find the workspace and its token again."""
SECRET_FIELDS = frozenset({"token"})
"""Request fields a job does not keep (the legacy verification token)."""
JSON_SENT = "The JSON is in your direct messages with Flotilla, as a file."
TRIGGER_SECONDS = 2.5
"""A command's trigger_id opens a modal for 3 s after Slack sent it; after this, offer a button."""


@dataclass(frozen=True)
class Request:
    """A typed command, wherever it was typed."""

    workspace: str
    client: WebClient
    user: str
    channel: str | None
    text: str
    answer: Callable[[Outcome, tuple[Line, ...], tuple[Offer, ...], bool], None]
    """(outcome, lines, offers, public): says the answer where the request came from."""
    trigger_id: str | None = None
    acked_at: float = 0.0


class Typed:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    def enqueue(self, kind: str, body: dict[str, Any], context: Any, claim: str | None = None) -> bool:
        """Before the ack: keep the request in the database (bot.slack.jobs), to run after it.
        False when `claim` (an event's id) was taken already: a redelivery, nothing to do."""
        a = self.adapter
        assert a.jobs is not None, "build_slack gives the adapter its job queue"
        kept = {k: context.get(k) for k in JOB_CONTEXT}
        payload = {"body": {k: v for k, v in body.items() if k not in SECRET_FIELDS}, "context": kept}
        queued = a.jobs.put(kind, workspace_of(context), payload, claim=claim, claimed_at=a.clock.now())
        if queued:
            a.queued()
        return queued

    def run_job(self, job: Job, finish: Finish) -> None:
        """A queued command or mention, in whichever process took it: the token is looked up here
        (jobs never store one), the answer goes where the request said."""
        body = job.payload["body"]
        context = dict(job.payload["context"])
        context["bot_token"] = self.adapter.token_for(workspace_of(context))
        request: Request | None
        if job.kind == COMMAND:
            request = self.slash(body, context, Respond(response_url=body.get("response_url")), job.created_at)
        elif job.kind == MENTION:
            request = self.mention(body, body["event"], context)
        else:
            raise ValueError(f"unknown Slack job kind {job.kind!r}")
        if request is not None:
            self.answer(request, finish)

    def slash(self, body: dict[str, Any], context: Any, respond: Respond, acked_at: float = 0.0) -> Request:
        workspace, client = self.adapter.client_for(context)

        def answer(outcome: Outcome, lines: tuple[Line, ...], offers: tuple[Offer, ...], public: bool) -> None:
            if outcome.refused:
                text, blocks = render.refusal(lines, outcome.usage)
            else:
                text, blocks = render.message(lines, offers)
            respond(text=text, blocks=blocks, response_type="in_channel" if public else "ephemeral")

        return Request(workspace, client, body["user_id"], body.get("channel_id"), command_text(body.get("text") or ""),
                       answer, body.get("trigger_id"), acked_at or time.time())  # fmt: skip

    def mention(self, body: dict[str, Any], event: dict[str, Any], context: Any) -> Request | None:
        a = self.adapter
        workspace, client = a.client_for(context)
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel:  # a bot's or a workflow's message: nobody to answer
            return None
        thread = event.get("thread_ts") or event.get("ts")

        def answer(outcome: Outcome, lines: tuple[Line, ...], offers: tuple[Offer, ...], public: bool) -> None:
            if outcome.refused and outcome.usage:
                lines = (*lines, *usage_lines(outcome.usage))
            now = a.clock.now()
            a.reply_later(workspace, OutboxMessage(
                key=f"mention:{body.get('event_id') or event.get('event_ts') or thread}", lines=lines, offers=offers,
                created_at=now, channel=channel, person=None if public else user, in_thread=thread,
                ephemeral=not public, next_attempt_at=now))  # fmt: skip

        return Request(workspace, client, user, channel, command_text(event.get("text") or "",
                                                                      context.get("bot_user_id")), answer)  # fmt: skip

    def answer(self, r: Request, finish: Finish | None = None) -> None:
        """Run what was typed and say what came of it where it was typed."""
        a = self.adapter
        outcome = a.conversation(r.client, r.workspace, finish).handle(r.text, r.user, a.clock.now(),
                                                                      home_channel(r.channel))  # fmt: skip
        reply = outcome.reply
        if outcome.refused:
            r.answer(outcome, reply.lines, (), False)
            return
        if outcome.as_json:
            self.send_json(r.client, r.user, outcome)
            r.answer(outcome, (line(JSON_SENT),), (), False)
        elif reply.form is not None:
            if not self.open_form(r, outcome):
                opens = standup_offer(reply.form.subject) if reply.form.act is Act.STANDUP_OPEN else checkin_offer()
                r.answer(outcome, reply.lines, (opens,), False)
        else:
            r.answer(outcome, reply.lines, reply.offers, reply.public)
        self.send_picture(r.client, r.user, home_channel(r.channel), outcome)
        a.after(r.client, r.workspace, reply)

    def open_form(self, r: Request, outcome: Outcome) -> bool:
        """The form as a modal, while the command's trigger still opens one."""
        form = outcome.reply.form
        if form is None or not r.trigger_id or time.time() - r.acked_at > TRIGGER_SECONDS:
            return False
        callback = render.VIEW_STANDUP if form.act is Act.STANDUP_OPEN else render.VIEW_CHECKIN
        try:
            r.client.views_open(trigger_id=r.trigger_id, view=form_modal(form, callback))
        except SlackApiError as e:  # expired_trigger_id, most often: the button does it then
            if e.response.get("error") not in ("expired_trigger_id", "invalid_trigger_id", "exchanged_trigger_id"):
                raise
            return False
        return True

    def send_json(self, client: WebClient, user: str, outcome: Outcome) -> None:
        """`--json` in chat: the data goes to the asker's DM as a file (files_upload_v2)."""
        opened = client.conversations_open(users=user)
        dm = opened["channel"]["id"]
        client.files_upload_v2(channel=dm, content=render.json_file(outcome.reply.data), filename="flotilla.json",
                               title="Flotilla JSON", initial_comment="Here is the JSON you asked for.")  # fmt: skip

    def send_picture(self, client: WebClient, user: str, channel: str | None, outcome: Outcome) -> None:
        """`map`: the core hands a graph; it is drawn here and uploaded (files_upload_v2) where it was
        asked for, or to the asker's DM outside a channel."""
        graph = outcome.reply.graph
        if outcome.refused or graph is None or outcome.as_json:
            return
        from bot.map_render import render_png

        target = channel or client.conversations_open(users=user)["channel"]["id"]
        client.files_upload_v2(channel=target, content=render_png(graph), filename="flotilla-map.png",
                               title="Dependency map")  # fmt: skip
