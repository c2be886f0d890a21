"""The Slack side of the durable outbox (core.outbox): a ChatDelivery for one workspace.

The core writes every notice to the outbox in the command's own transaction; the adapter drains
it right after the command (and the rhythm scheduler drains whatever is left or due). Sending
goes through the rate-limited client, so per-method limits and Retry-After hold for fan-outs.
The delivery touches no database: the outbox calls it inside the transaction that holds the row,
and on SQLite any other connection would wait for that very transaction. Exactly-once is the
outbox's (the row is locked, delivered and marked sent in one transaction); what is left is a crash
between Slack's answer and that commit, which resends one message. Where a message went (its
`ts`) is kept in memory, so a late stand-up answer threads under the digest this process posted.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass, field

from slack_sdk.errors import SlackApiError
from slack_sdk.web import WebClient

from bot.slack import render
from bot.slack.store import Claims
from core.outbox import DeliveryError, OutboxMessage

log = logging.getLogger(__name__)

PERMANENT = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "user_not_found", "account_inactive",
    "invalid_auth", "not_authed", "token_revoked", "missing_scope", "restricted_action", "msg_too_long",
    "no_text", "invalid_blocks", "cannot_dm_bot", "user_disabled",
})  # fmt: skip
"""Slack errors that the same call would get again: no point retrying them."""


@dataclass
class PostedMessages:
    """Outbox key -> (channel, ts) of what was posted, for threading replies: kept in the database
    when given a `store` (bot.slack.store.Claims), so any process finds it (a worker answering a
    late stand-up finds the digest the scheduler posted), after a restart too; the last `limit`
    are also kept in memory. A post is written by a thread of its own: `remember` is called
    inside the outbox row's transaction, which on SQLite holds the write lock."""

    store: Claims | None = None
    limit: int = 100_000
    _posts: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _unwritten: queue.Queue[tuple[str, str, str, str]] = field(default_factory=queue.Queue, init=False)
    _writer: threading.Thread | None = field(default=None, init=False)

    def remember(self, workspace: str, key: str, channel: str, ts: str) -> None:
        with self._lock:
            if len(self._posts) >= self.limit:
                self._posts.pop(next(iter(self._posts)))
            self._posts.setdefault((workspace, key), (channel, ts))
            if self.store is not None:
                self._unwritten.put((workspace, key, channel, ts))
                if self._writer is None:
                    self._writer = threading.Thread(target=self._write, daemon=True, name="slack-posts")
                    self._writer.start()

    def _write(self) -> None:
        while True:
            post = self._unwritten.get()
            try:
                assert self.store is not None
                self.store.remember_post(*post)
            except Exception as e:  # the thread is then only in memory, as before
                log.warning("could not keep where a Slack message was posted: %s", type(e).__name__)
            finally:
                self._unwritten.task_done()

    def flush(self) -> None:
        """Wait until every post remembered so far is written (tests, shutdown)."""
        self._unwritten.join()

    def find(self, workspace: str, key: str) -> tuple[str, str] | None:
        with self._lock:
            found = self._posts.get((workspace, key))
        if found is None and self.store is not None:
            found = self.store.find_post(workspace, key)
        return found


def _retry_after(headers: object) -> float | None:
    if not isinstance(headers, dict):
        return None
    for k, v in headers.items():
        if str(k).lower() == "retry-after" and v:
            try:
                return float(v[0] if isinstance(v, list) else v)
            except ValueError:
                return None
    return None


@dataclass
class SlackDelivery:
    """core.ports.ChatDelivery for one Slack workspace."""

    workspace: str
    client: WebClient
    posted: PostedMessages

    def deliver(self, message: OutboxMessage) -> None:
        target = message.channel or message.person
        if not target:
            raise DeliveryError("a message with neither a channel nor a person", permanent=True)
        text, blocks = render.message(message.lines, render.buttons_for_notice(message.notice))
        thread = self.posted.find(self.workspace, message.thread) if message.thread else None
        try:
            sent = self.client.chat_postMessage(channel=target, text=text, blocks=blocks, unfurl_links=False,
                                                thread_ts=thread[1] if thread else None)  # fmt: skip
        except SlackApiError as e:
            error = str(e.response.get("error") or "error")
            retry_after = _retry_after(e.response.headers) if e.response.status_code == 429 else None
            raise DeliveryError(f"Slack: {error}", permanent=error in PERMANENT, retry_after=retry_after) from None
        if sent.get("ts"):
            self.posted.remember(self.workspace, message.key, str(sent.get("channel") or target), str(sent["ts"]))
