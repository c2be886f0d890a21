"""Modal submissions: a form (the stand-up, the weekly check-in) or what an offer asked (a reason).

The core runs before the ack, so that a refusal shows inside the modal, next to the input it is
about (core.errors.Refused.field). A double submit of the same values is taken once; an edited one
runs again. What follows (the notices, App Homes, replacing the message the button was on) runs
after the ack.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from slack_sdk.webhook import WebhookClient

from bot.conversation import Outcome
from bot.slack import render
from bot.slack.adapter import SlackAdapter
from bot.slack.clicks import answered
from bot.slack.modals import done_modal, error_for, read_metadata, values
from core.errors import Refused
from core.offers import Act, command_for, form_commands
from core.reply import Reply

FORMS = {
    render.VIEW_STANDUP: (Act.STANDUP_OPEN, "Stand-up"),
    render.VIEW_CHECKIN: (Act.CHECKIN_OPEN, "Weekly check-in"),
}


def fingerprint(*parts: Any) -> str:
    """Short and stable: a double submit of the same values gets the same claim key."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Submissions:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    def ask(self, ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        """What an offer asked (a reason to decline), then its command, as the person who submitted."""
        a = self.adapter
        workspace, client = a.client_for(context)
        user = body["user"]["id"]
        meta = read_metadata(view)
        act, subject = meta.get("act") or Act.DEP_DECLINE.value, meta.get("subject") or meta.get("dep") or ""
        said = values(view)
        try:
            cmd = command_for(act, subject, said)
        except Refused as e:
            ack(response_action="errors", errors=error_for(e.field, said, e.message))
            return
        key = f"view:{workspace}:{view.get('id')}:{fingerprint(said)}"
        if not a.claim(key):
            ack()
            return
        outcome = a.run_claimed(key, a.conversation(client, workspace), cmd, user)
        if outcome.refused:
            ack(response_action="errors", errors=error_for(_field(outcome), said, render.mrkdwn(outcome.reply.lines)))
            return
        ack()
        a.at_once(self._asked, body, client, workspace, meta, outcome)

    def _asked(self, body: dict[str, Any], client: Any, workspace: str, meta: dict[str, str], outcome: Outcome) -> None:
        url = meta.get("url") or meta.get("response_url")
        if url:  # the message the button was on: the request as it stands now, and what was done
            said = render.record_line(outcome.reply.data)
            original = {"text": said, "blocks": render.text_blocks([said]) if said else []}
            WebhookClient(url).send(replace_original=True, **answered(original, outcome))
        self.adapter.after(client, workspace, outcome.reply)

    def form(self, ack: Callable[..., Any], body: dict[str, Any], view: dict[str, Any], context: Any) -> None:
        """One command per part of the form; each taken is claimed with its values, so submitting
        again after an error (or twice) repeats none of them."""
        a = self.adapter
        workspace, client = a.client_for(context)
        user = body["user"]["id"]
        act, title = FORMS[str(view.get("callback_id"))]
        meta = read_metadata(view)
        said = values(view)
        try:
            wanted = form_commands(act, meta.get("subject") or meta.get("team") or "", said)
        except Refused as e:
            ack(response_action="errors", errors=error_for(e.field, said, e.message))
            return
        conversation = a.conversation(client, workspace)
        done: list[Reply] = []
        errors: dict[str, str] = {}
        for cmd in wanted:
            part = getattr(cmd, "number", None)
            key = f"view:{workspace}:{view.get('id')}:{part}:{fingerprint(cmd)}"
            if not a.claim(key):
                continue
            outcome = a.run_claimed(key, conversation, cmd, user)
            if not outcome.refused:
                done.append(outcome.reply)
                continue
            field = _field(outcome)
            if part is not None:  # the check-in: this priority's input of that name
                field = f"{field or 'status'}:P-{part}"
            errors.update(error_for(field, said, render.mrkdwn(outcome.reply.lines)))
        if errors:
            ack(response_action="errors", errors=errors)
        elif done:
            ack(response_action="update", view=done_modal(title, [ln for r in done for ln in r.lines]))
        else:
            ack()  # a double submit: the first one is acting
        for reply in done:
            a.at_once(lambda _body, r=reply: a.after(client, workspace, r), body)


def _field(outcome: Outcome) -> str | None:
    """Which input a refusal is about, as the core said (bot.conversation keeps Refused.field)."""
    return outcome.field
