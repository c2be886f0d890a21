"""The App Home tab: `me` as the core lists it (core.reply.Item), each record with its offers' buttons;
kept fresh for those who look at it when a change concerns them (core.reply.Reply.concerns)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from slack_sdk.web import WebClient

from bot.slack.adapter import SlackAdapter, is_user
from bot.slack.render import (
    MAX_SECTION_CHARS,
    MAX_VIEW_BLOCKS,
    clip,
    context,
    escape,
    mrkdwn_line,
    offer_buttons,
    section,
)
from core import commands
from core.reply import Item, Reply

log = logging.getLogger(__name__)

HOME_VIEWER_DAYS = 14
"""App Homes opened within this many days are kept fresh when what they show changes."""

PER_LIST = 15
"""At most this many records per list: with their buttons the view stays under Slack's 100 blocks."""
LISTS = (  # (group, title, what an empty list says, or "" to leave it out, the command that lists all)
    ("priorities", "My priorities", "No open priority is yours.", "priority list"),
    ("proposals", "Proposals waiting on me", "", "me"),
    ("slips", "Slips that touch my priorities", "", "me"),
    ("dependencies", "My dependencies", "No open dependency involves you or your teams.", "dep list"),
    ("blockers", "My open blockers", "You have no open blockers.", "blocker list"),
    ("checkins", "Pending check-ins", "Nothing to answer right now.", "me"),
)


MAX_HEADER_CHARS = 150


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, MAX_HEADER_CHARS, plain=True),
                                       "emoji": False}}  # fmt: skip


def _record(item: Item) -> list[dict[str, Any]]:
    """One record per section: a longer one is cut (`… show` gives it whole), so the lists fit."""
    block = section(clip(mrkdwn_line(item.line), MAX_SECTION_CHARS))
    buttons = offer_buttons(item.offers)
    if len(buttons) == 1:
        block["accessory"] = buttons[0]
        return [block]
    return [block, {"type": "actions", "elements": buttons}] if buttons else [block]


def home_view(me: Reply) -> dict[str, Any]:
    """The Home view of `me` (its first line says the person's teams)."""
    teams = clip(mrkdwn_line(me.lines[0]), MAX_SECTION_CHARS) if me.lines else ""
    blocks: list[dict[str, Any]] = [_header("Flotilla"), context(teams or "Your teams: none yet")]
    for group, title, empty, command in LISTS:
        items = [i for i in me.items if i.group == group]
        if not items and not empty:  # a list that is only there when something waits on me
            continue
        blocks.append(_header(f"{title} ({len(items)})"))
        for item in items[:PER_LIST]:
            blocks += _record(item)
        if len(items) > PER_LIST:
            blocks.append(context(f"…and {len(items) - PER_LIST} more {escape(group)}: `/flotilla {command}` "
                                  "lists them all."))  # fmt: skip
        if not items:
            blocks.append(context(empty))
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}


class Homes:
    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter
        adapter.refresh = self.republish

    def opened(self, event: dict[str, Any], context: Any) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        a = self.adapter
        workspace, client = a.client_for(context)
        a.claims.home_opened(workspace, event["user"], a.clock.now())
        self.publish(client, workspace, event["user"])

    def publish(self, client: WebClient, workspace: str, user: str) -> None:
        a = self.adapter
        outcome = a.conversation(client, workspace).run(commands.Me(), user, a.clock.now())
        if not outcome.refused:
            client.views_publish(user_id=user, view=home_view(outcome.reply))

    def republish(self, client: WebClient, workspace: str, people: Iterable[str]) -> None:
        """Fresh App Homes for those who looked at theirs lately (others get theirs when they open it)."""
        a = self.adapter
        users = [h for h in people if is_user(h)]
        since = a.clock.now() - timedelta(days=HOME_VIEWER_DAYS)
        for user in a.claims.home_viewers(workspace, users, since):
            try:
                self.publish(client, workspace, user)
            except Exception as e:  # one Home that Slack refuses must not keep the others stale
                log.warning("Slack: App Home of %s not refreshed: %s: %s", user, type(e).__name__, e)
