"""The Slack side of the durable outbox (core.outbox): a ChatDelivery for one workspace.

`deliver` makes one attempt and never waits long: core.outbox.drain calls it with no transaction
open, and whatever cannot be sent now goes back to the outbox with a time to try again.
- Our own pacing (bot.slack.ratelimit, under Slack's per-method tiers and one message a second per
  channel) may wait a few milliseconds; a longer wait is handed back as a rate-limited retry.
- A 429 pauses the method for this whole process and hands back its Retry-After. Neither counts
  as a failed attempt: Slack refused nothing.
- Every post carries the outbox key as message metadata (event type `flotilla_outbox`). When the
  outcome of an earlier try is unknown (the connection dropped after the request went out, or a
  drainer died mid-send), the conversation is read back (conversations.history, or .replies in a
  thread) and a message that carries the key counts as sent, instead of posting it twice.
  Where the bot cannot read the conversation (a public channel it never joined it joins first;
  without the scopes it is said in the log), the message is sent again: at least once.
- The client makes no retries of its own: slack_sdk's ConnectionErrorRetryHandler would post a
  message again after a dropped connection without looking first.
"""

from __future__ import annotations

import functools
import logging
import socket
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient
from sqlalchemy import Engine

from bot.settings import Settings
from bot.slack import render
from bot.slack.ratelimit import RateLimiter
from bot.slack.store import SlackStore
from core.ports import ChatDelivery, DeliveryError, OutboxMessage

log = logging.getLogger(__name__)

PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "account_inactive",
    "invalid_auth", "not_authed", "token_revoked", "missing_scope", "restricted_action", "msg_too_long",
    "no_text", "invalid_blocks", "cannot_dm_bot", "user_disabled", "invalid_metadata_format",
})  # fmt: skip
"""Slack errors that the same call would get again: no point retrying them."""
METADATA_TYPE = "flotilla_outbox"
MAX_PACE_SECONDS = 0.05
"""Longest a delivery waits for our own pacer; beyond that the message is put back for later, and
the sender goes on with messages to other channels (one channel's pace must not hold them)."""
LOOK_BACK_SECONDS = 120
"""How far before a message's creation the read-back starts (Slack's clock and ours may differ)."""
READ_BACK_PAGES = 5
TIMEOUT_SECONDS = 15


@dataclass
class PostedMessages:
    """Outbox key -> (channel, ts) of what was posted, for threading replies (a late stand-up answer
    under the digest): kept in the database when given a `store` (bot.slack.store.SlackStore), so that
    any process finds it, after a restart too; the last `limit` are also kept in memory."""

    store: SlackStore | None = None
    limit: int = 100_000
    _posts: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def remember(self, workspace: str, key: str, channel: str, ts: str) -> None:
        with self._lock:
            if len(self._posts) >= self.limit:
                self._posts.pop(next(iter(self._posts)))
            self._posts.setdefault((workspace, key), (channel, ts))
        if self.store is not None:  # no transaction is open while the outbox sends: write it now
            try:
                self.store.remember_post(workspace, key, channel, ts)
            except Exception as e:  # the thread is then only in memory
                log.warning("could not keep where a Slack message was posted: %s", type(e).__name__)

    def find(self, workspace: str, key: str) -> tuple[str, str] | None:
        with self._lock:
            found = self._posts.get((workspace, key))
        if found is None and self.store is not None:
            found = self.store.find_post(workspace, key)
        return found


def retry_after(headers: object) -> float | None:
    if not isinstance(headers, dict):
        return None
    for k, v in headers.items():
        if str(k).lower() == "retry-after" and v:
            try:
                return float(v[0] if isinstance(v, list) else v)
            except ValueError:
                return None
    return None


def never_sent(error: BaseException) -> bool:
    """The request cannot have reached Slack: refused, or the name did not resolve."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    return isinstance(reason, ConnectionRefusedError | socket.gaierror)


def plain_client(token: str, base_url: str, timeout: int = TIMEOUT_SECONDS) -> WebClient:
    """A WebClient that never retries by itself (see the module's docstring)."""
    return WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[])


@dataclass
class SlackDelivery:
    """core.ports.ChatDelivery for one Slack workspace."""

    workspace: str
    client: WebClient
    posted: PostedMessages
    limiter: RateLimiter | None = None
    max_pace: float = MAX_PACE_SECONDS
    _dms: dict[str, str] = field(default_factory=dict, init=False)

    def deliver(self, message: OutboxMessage) -> None:
        target = message.channel or message.person
        if not target or (message.ephemeral and not (message.channel and message.person)):
            raise DeliveryError("a message with nowhere to go", permanent=True)
        thread = message.in_thread
        if thread is None and message.thread:
            parent = self.posted.find(self.workspace, message.thread)
            thread = parent[1] if parent else None
        if message.uncertain and not message.ephemeral and self._already_there(message, target, thread):
            log.info("Slack already has outbox message %s (its earlier send's outcome was unknown)", message.key)
            return
        text, blocks = render.message(message.lines, message.offers)
        if message.ephemeral:
            channel, person = message.channel or "", message.person or ""
            post = functools.partial(self.client.chat_postEphemeral, channel=channel, user=person, text=text,
                                     blocks=blocks, thread_ts=thread)  # fmt: skip
            self._call("chat.postEphemeral", channel, post)
            return
        metadata = {"event_type": METADATA_TYPE, "event_payload": {"key": message.key, "workspace": self.workspace}}
        sent = self._call(
            "chat.postMessage",
            target,
            lambda: self.client.chat_postMessage(
                channel=target, text=text, blocks=blocks, unfurl_links=False, thread_ts=thread, metadata=metadata
            ),
        )
        if sent.get("ts"):
            self.posted.remember(self.workspace, message.key, str(sent.get("channel") or target), str(sent["ts"]))

    def _call(self, method: str, channel: str | None, call: Callable[[], Any]) -> Any:
        """One Web API call, paced, its failure said the way the outbox understands."""
        try:
            return self._read(method, channel, call)
        except SlackApiError as e:
            error = str(e.response.get("error") or "error")
            raise DeliveryError(f"Slack: {error}", permanent=error in PERMANENT) from None

    def _read(self, method: str, channel: str | None, call: Callable[[], Any], *, alone: bool = False) -> Any:
        """A paced call whose Slack errors (other than rate limits) reach the caller as they are.
        `alone`: the call serves this message only (reading back an unknown outcome), so a rate
        limit on it puts back this message and never waits, nor stops the messages behind it."""
        self._pace(method, channel, alone=alone)
        try:
            return call()
        except SlackApiError as e:
            if e.response.status_code == 429 or e.response.get("error") == "ratelimited":
                wait = retry_after(e.response.headers) or 1.0
                if self.limiter is not None:
                    self.limiter.pause(self.workspace, method, wait)
                raise DeliveryError(f"Slack: rate limited ({method})", retry_after=wait, counts=False,
                                    everything=not alone) from None  # fmt: skip
            raise
        except Exception as e:  # noqa: BLE001 - any other failure: did the request reach Slack?
            sent = "not sent" if never_sent(e) else "outcome unknown"
            raise DeliveryError(f"Slack unreachable ({sent}): {type(e).__name__}", uncertain=not never_sent(e)) from e

    def _pace(self, method: str, channel: str | None, *, alone: bool = False) -> None:
        if self.limiter is None:
            return
        for _ in range(3):
            wait, everything = self.limiter.reserve_why(self.workspace, method, channel)
            if wait <= 0:
                return
            if alone:  # a read-back (conversations.history is 50 a minute) must not hold the posts
                raise DeliveryError(f"paced: {method} is at its rate limit", retry_after=wait, counts=False)
            if wait > self.max_pace:
                raise DeliveryError(f"paced: {method} is at its rate limit", retry_after=wait, counts=False,
                                    everything=everything)  # fmt: skip
            time.sleep(wait)
        raise DeliveryError(f"paced: {method} is at its rate limit", retry_after=self.max_pace, counts=False)

    # --- reading back what an unknown outcome may have posted ------------------------------------

    def _already_there(self, message: OutboxMessage, target: str, thread: str | None) -> bool:
        """Does the conversation hold a message with this outbox key? A rate limit or an unreachable
        Slack puts the message back (still uncertain); a conversation the bot may not read is
        answered with "no": it is sent again, and the log says why."""
        try:
            channel = target if message.channel else self._dm(target)
            found = self._find(channel, message, thread)
        except SlackApiError as e:
            log.warning("could not check whether Slack has outbox message %s (%s): sending it again",
                        message.key, e.response.get("error"))  # fmt: skip
            return False
        if found is not None:
            self.posted.remember(self.workspace, message.key, channel, found)
        return found is not None

    def _dm(self, person: str) -> str:
        if person not in self._dms:
            opened = self._read("conversations.open", None, lambda: self.client.conversations_open(users=person),
                                alone=True)  # fmt: skip
            self._dms[person] = str(opened["channel"]["id"])
        return self._dms[person]

    def _find(self, channel: str, message: OutboxMessage, thread: str | None) -> str | None:
        """The ts of a message in `channel` (or in `thread`) that carries this outbox key."""
        oldest = f"{message.created_at.timestamp() - LOOK_BACK_SECONDS:.6f}"
        method = "conversations.replies" if thread else "conversations.history"
        cursor: str | None = None
        joined = False
        pages = 0
        while pages < READ_BACK_PAGES:
            args: dict[str, Any] = {"channel": channel, "oldest": oldest, "limit": 200, "include_all_metadata": True}
            if cursor:
                args["cursor"] = cursor
            try:
                page = self._read(method, channel, functools.partial(
                    self.client.conversations_replies, ts=thread, **args) if thread else functools.partial(
                    self.client.conversations_history, **args), alone=True)  # fmt: skip
            except SlackApiError as e:
                if e.response.get("error") == "not_in_channel" and not joined and channel.startswith("C"):
                    self._read("conversations.join", channel, lambda: self.client.conversations_join(channel=channel),
                               alone=True)  # fmt: skip
                    joined = True
                    continue
                raise
            pages += 1
            for m in page.get("messages") or []:
                meta = m.get("metadata") or {}
                payload = meta.get("event_payload") or {}
                if meta.get("event_type") == METADATA_TYPE and payload.get("key") == message.key and \
                        payload.get("workspace", self.workspace) == self.workspace:  # fmt: skip
                    return str(m.get("ts"))
            cursor = ((page.get("response_metadata") or {}).get("next_cursor")) or None
            if not page.get("has_more") or not cursor:
                return None
        return None


def slack_outbound(
    settings: Settings,
    engine: Engine,
    token_for: Callable[[str], str | None],
    *,
    limiter: RateLimiter | None = None,
    base_url: str | None = None,
) -> Callable[[str], ChatDelivery | None]:
    """Deliveries for every Slack workspace this process has a token for (bot.outbound.Outbound)."""
    from bot.slack.app import api_url

    url = base_url or api_url(settings)
    claims = SlackStore(engine)
    claims.create_tables()
    posted = PostedMessages(store=claims)
    clients: dict[tuple[str, str], SlackDelivery] = {}
    lock = threading.Lock()

    def for_workspace(workspace: str) -> ChatDelivery | None:
        token = token_for(workspace)
        if not token:
            return None
        with lock:
            found = clients.get((workspace, token))
            if found is None:
                found = clients[(workspace, token)] = SlackDelivery(workspace, plain_client(token, url), posted,
                                                                     limiter=limiter)  # fmt: skip
        return found

    return for_workspace
