"""Buttons: each is one of the core's offers (core.offers), its action id the act, its value the
subject. A button whose act needs something filled in first (a reason to decline) opens a modal
asking it; one that opens a form (the stand-up, the check-in) opens the form as a modal, on the
click's trigger (valid for 3 s); any other runs its command as the person who clicked."""

from __future__ import annotations

from typing import Any

from bot.conversation import Outcome
from bot.slack import render
from bot.slack.adapter import SlackAdapter
from bot.slack.modals import ask_modal, form_modal
from core.errors import Refused
from core.offers import Act, command_for, offer_for
from core.reply import line, reply


class Clicks:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter

    @staticmethod
    def act_of(action: dict[str, Any]) -> Act:
        return render.ACTS[str(action.get("action_id"))]

    def needs_a_modal(self, action: dict[str, Any]) -> bool:
        """Whether this click opens a modal: then it must run at once, inside its trigger's 3 s."""
        act = self.act_of(action)
        return act in (Act.STANDUP_OPEN, Act.CHECKIN_OPEN) or bool(offer_for(act, str(action.get("value") or "")).asks)

    def click(self, body: dict[str, Any], action: dict[str, Any], context: Any) -> None:
        a = self.adapter
        workspace, client = a.client_for(context)
        user = body["user"]["id"]
        act, subject = self.act_of(action), str(action.get("value") or "")
        try:
            offer = offer_for(act, subject)
        except (Refused, KeyError, ValueError) as e:  # not an id we could have put on a button
            a.tell(client, user, body, Outcome(reply(line(getattr(e, "message", "That button is not mine."))), True))
            return
        if offer.asks:
            meta = {"url": body.get("response_url") or "", "channel": (body.get("channel") or {}).get("id") or ""}
            client.views_open(trigger_id=body["trigger_id"], view=ask_modal(offer, **meta))
            return
        conversation = a.conversation(client, workspace)
        if act in (Act.STANDUP_OPEN, Act.CHECKIN_OPEN):
            outcome = conversation.run(command_for(act, subject), user, a.clock.now())
            form = outcome.reply.form
            if outcome.refused or form is None:  # nothing to ask (no priority of mine), or not for me
                a.tell(client, user, body, outcome) if outcome.refused else self.say(client, user, outcome)
                return
            callback = render.VIEW_STANDUP if act is Act.STANDUP_OPEN else render.VIEW_CHECKIN
            client.views_open(trigger_id=body["trigger_id"], view=form_modal(form, callback))
            return
        where = (body.get("container") or {}).get("message_ts") or (body.get("view") or {}).get("id") or ""
        key = f"action:{workspace}:{user}:{action.get('action_id')}:{subject}:{where}"
        if not a.claim(key):
            return  # a double click: the first one is acting
        outcome = a.run_claimed(key, conversation, command_for(act, subject), user)
        if outcome.refused:
            a.tell(client, user, body, outcome)
            return
        if body.get("message") and body.get("response_url"):
            from slack_sdk.webhook import WebhookClient

            WebhookClient(body["response_url"]).send(replace_original=True, **answered(body["message"], outcome))
        a.after(client, workspace, outcome.reply)

    def say(self, client: Any, user: str, outcome: Outcome) -> None:
        text, blocks = render.message(outcome.reply.lines)
        client.chat_postMessage(channel=user, text=text, blocks=blocks)


def answered(original: dict[str, Any], outcome: Outcome) -> dict[str, Any]:
    """The message the button was on, its buttons replaced by what was done."""
    kept = [b for b in original.get("blocks") or [] if b.get("type") != "actions"]
    done = render.mrkdwn(outcome.reply.lines)
    blocks = (kept + [render.context(render.clip(done, render.MAX_SECTION_CHARS))])[: render.MAX_MESSAGE_BLOCKS]
    return {"text": render.fallback(str(original.get("text") or done)), "blocks": blocks}
