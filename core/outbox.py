"""The durable outbox: every message the bot sends to someone else is written here first, in the
same transaction as the change that causes it, and a sender delivers it afterwards.

A crash before the commit leaves neither the change nor the message; a crash after it leaves a
pending row that the next drain (in any process) sends. A crash after the chat platform got the
message but before the row was marked sent makes the next drain send it again: at-least-once,
which the idempotency key (`key`, unique per workspace) passed to the adapter makes exactly-once.
Failures are retried with exponential backoff, never sooner than a Retry-After the platform gave.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.ports import ChatDelivery, UnitOfWorkFactory
from core.reply import ChannelRef, Line, Mention, Notice, Quote, Segment

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=15)


@dataclass
class OutboxMessage:
    key: str
    """Idempotency key: one message per key and workspace, ever."""
    lines: tuple[Line, ...]
    created_at: datetime
    channel: str | None = None
    person: str | None = None
    thread: str | None = None
    """Key of the message this one is a reply under (a late answer under its digest)."""
    id: int | None = None
    state: str = PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    error: str | None = None

    @property
    def notice(self) -> Notice:
        return Notice(lines=self.lines, channel=self.channel, person=self.person, key=self.key, thread=self.thread)


class DeliveryError(Exception):
    """Raised by a ChatDelivery that could not deliver. `retry_after` (seconds) is what the
    platform asked for (HTTP 429 Retry-After); `permanent` means retrying cannot help."""

    def __init__(self, reason: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.retry_after, self.permanent = reason, retry_after, permanent


def from_notice(n: Notice, now: datetime) -> OutboxMessage:
    if not n.key:
        raise ValueError("a notice needs an idempotency key to go through the outbox")
    return OutboxMessage(key=n.key, lines=n.lines, created_at=now, channel=n.channel, person=n.person,
                         thread=n.thread, next_attempt_at=now)  # fmt: skip


def lines_to_json(lines: tuple[Line, ...]) -> list[list[dict[str, str]]]:
    def seg(s: Segment) -> dict[str, str]:
        if isinstance(s, Mention):
            return {"person": s.handle}
        if isinstance(s, Quote):
            return {"quote": s.text}
        if isinstance(s, ChannelRef):
            return {"channel": s.channel}
        return {"text": s}

    return [[seg(s) for s in ln] for ln in lines]


def lines_from_json(data: Any) -> tuple[Line, ...]:
    def seg(d: dict[str, str]) -> Segment:
        if "person" in d:
            return Mention(d["person"])
        if "quote" in d:
            return Quote(d["quote"])
        if "channel" in d:
            return ChannelRef(d["channel"])
        return str(d["text"])

    return tuple(tuple(seg(s) for s in ln) for ln in data)


def backoff(attempts: int, retry_after: float | None = None) -> timedelta:
    """Delay before attempt `attempts + 1`: 2 s, 4 s, 8 s ... up to 15 min, never less than Retry-After."""
    delay = min(BASE_DELAY * (1 << min(max(attempts - 1, 0), 20)), MAX_DELAY)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, timedelta(seconds=retry_after))
    return delay


@dataclass
class Drained:
    sent: list[OutboxMessage] = field(default_factory=list)
    retrying: list[OutboxMessage] = field(default_factory=list)
    failed: list[OutboxMessage] = field(default_factory=list)


def drain(
    uow_factory: UnitOfWorkFactory, workspace: str, delivery: ChatDelivery, now: datetime, *, limit: int = 10_000
) -> Drained:
    """Deliver what is due in the outbox, one row per transaction: the row is locked (other
    senders skip it) while it is delivered and marked, so a crash resends at most that one."""
    done = Drained()
    for _ in range(limit):
        with uow_factory(workspace) as uow:
            taken = uow.outbox.take(now, 1)
            if not taken:
                break
            msg = taken[0]
            try:
                delivery.deliver(msg)
            except DeliveryError as e:
                msg.attempts += 1
                msg.error = e.reason[:500]
                if e.permanent or msg.attempts >= MAX_ATTEMPTS:
                    msg.state = FAILED
                    done.failed.append(msg)
                    log.warning("outbox: giving up on %s after %d attempts: %s", msg.key, msg.attempts, e.reason)
                else:
                    msg.next_attempt_at = now + backoff(msg.attempts, e.retry_after)
                    done.retrying.append(msg)
            else:
                msg.state, msg.sent_at, msg.error = SENT, now, None
                msg.attempts += 1
                done.sent.append(msg)
            uow.outbox.save(msg)
            uow.commit()
    return done
