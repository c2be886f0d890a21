"""The durable outbox: every message the bot sends to someone else is written here first, in the
same transaction as the change that causes it, and a sender delivers it afterwards.

A crash before the commit leaves neither the change nor the message; a crash after it leaves a
pending row that the next drain (in any process) sends. Sending never happens inside a
transaction (STYLE.md, "Talk to the network outside the transaction"):

1. **claim** a small batch of due rows in one short transaction: each is leased to this drainer
   until `lease_until` (PostgreSQL skips rows another transaction is claiming, SQLite's claim is
   one short write), so several drainers split the work and a leased row is nobody else's;
2. **send** each with no transaction open: a slow or rate-limited platform holds no lock;
3. **record** each outcome in its own short transaction, only while the lease is still ours.

A drainer that dies between a send and its record leaves a leased row; once the lease runs out
another drainer takes it, marked `uncertain`: the platform may have the message already, so the
delivery checks before it sends again (Slack: the outbox key travels as message metadata). A
send whose connection dropped is uncertain the same way. Failures are retried with exponential
backoff, never sooner than a Retry-After the platform gave; a rate limit (429) or a local pacing
wait is not a failed attempt. A message that failed MAX_ATTEMPTS times, or that a platform
refuses for good, is set aside (`failed`, with its last error) for an operator to look at and
retry (`flotilla outbox failed|retry`): never retried forever, never dropped silently.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.offers import Offer, offer_from_json, offer_json
from core.ports import FAILED, SENT, ChatDelivery, DeliveryError, OutboxMessage, UnitOfWorkFactory
from core.reply import ChannelRef, Line, Mention, Notice, Quote, Segment

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
BASE_DELAY = timedelta(seconds=2)
MAX_DELAY = timedelta(minutes=15)
LEASE = timedelta(seconds=60)
"""How long a claimed row is a drainer's (by the database's clock): longer than a paced batch takes
to send; a batch stops early rather than outlive it (see `drain`), and the rows of a drainer that
died are taken over this long after it claimed them."""
BATCH = 20
MIN_WAIT = 0.05
"""Seconds a rate-limited message waits at least, even when nobody said how long (so that one drain,
whose `now` stands still, never takes it again)."""
"""Rows claimed at once: few enough that a drainer killed mid-batch strands little."""


def from_notice(n: Notice, now: datetime) -> OutboxMessage:
    if not n.key:
        raise ValueError("a notice needs an idempotency key to go through the outbox")
    return OutboxMessage(key=n.key, lines=n.lines, created_at=now, channel=n.channel, person=n.person,
                         thread=n.thread, next_attempt_at=now, offers=n.offers)  # fmt: skip


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


def payload_json(m: OutboxMessage) -> Any:
    """What the outbox row keeps of a message: its lines, and its offers when it has any (a row
    written before offers existed holds the lines alone, and still reads back)."""
    if not m.offers:
        return lines_to_json(m.lines)
    return {"lines": lines_to_json(m.lines), "offers": [offer_json(o) for o in m.offers]}


def payload_from_json(data: Any) -> tuple[tuple[Line, ...], tuple[Offer, ...]]:
    if isinstance(data, dict):
        return lines_from_json(data.get("lines") or []), tuple(offer_from_json(o) for o in data.get("offers") or ())
    return lines_from_json(data), ()


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
    """Set aside during this drain."""
    rate_limited: list[OutboxMessage] = field(default_factory=list)
    """Put back until the platform's (or our own pacer's) Retry-After: not counted as failures."""
    lost_lease: list[OutboxMessage] = field(default_factory=list)
    """Claimed, but another drainer took them over before their outcome was written."""
    resume_in: float = 0.0
    """Seconds until this workspace's platform takes messages again (the drain stopped for it)."""

    def __iadd__(self, other: Drained) -> Drained:
        for name in ("sent", "retrying", "failed", "rate_limited", "lost_lease"):
            getattr(self, name).extend(getattr(other, name))
        return self


def attempt(delivery: ChatDelivery, msg: OutboxMessage, now: datetime) -> tuple[str, float]:
    """Try one message and write its outcome into it; returns which list of Drained it belongs in,
    and, when the platform wants every message of the workspace to wait, for how long. Nothing the
    delivery raises escapes: an unexpected exception is an outcome we cannot know."""
    try:
        delivery.deliver(msg)
    except DeliveryError as e:
        outcome = _failed(msg, now, e)
        return outcome, (e.retry_after or MIN_WAIT) if e.everything and outcome == "rate_limited" else 0.0
    except Exception as e:  # noqa: BLE001 - a delivery's bug or a dropped connection: unknown outcome
        log.warning("outbox: sending %s raised %s: treating its outcome as unknown", msg.key, type(e).__name__)
        return _failed(msg, now, DeliveryError(f"{type(e).__name__}: {e}"[:500], uncertain=True)), 0.0
    msg.state, msg.sent_at, msg.error, msg.uncertain = SENT, now, None, False
    msg.attempts += 1
    return "sent", 0.0


def _failed(msg: OutboxMessage, now: datetime, e: DeliveryError) -> str:
    msg.error = e.reason[:500]
    msg.uncertain = msg.uncertain or e.uncertain
    if not e.counts and not e.permanent:
        msg.next_attempt_at = now + timedelta(seconds=max(e.retry_after or 0.0, MIN_WAIT))
        return "rate_limited"
    msg.attempts += 1
    if e.permanent or msg.attempts >= MAX_ATTEMPTS:
        msg.state = FAILED
        log.warning("outbox: %s set aside after %d attempts: %s", msg.key, msg.attempts, e.reason)
        return "failed"
    msg.next_attempt_at = now + backoff(msg.attempts, e.retry_after)
    return "retrying"


def drain(
    uow_factory: UnitOfWorkFactory,
    workspace: str,
    delivery: ChatDelivery,
    now: datetime,
    *,
    limit: int = 10_000,
    batch: int = BATCH,
    clock: Callable[[], datetime] | None = None,
    lease: timedelta = LEASE,
) -> Drained:
    """Deliver what is due in the workspace's outbox: claim, send with no transaction open, record.

    `now` decides what is due; `clock`, when given, dates each outcome as it happens (a drain that
    paces a fan-out may take a while). A batch is never worked on past its lease: whatever is left
    when the lease is nearly over is given back unsent, for this or another drainer's next claim."""
    done = Drained()
    token = uuid.uuid4().hex
    budget = lease.total_seconds() * 0.8
    handled = 0
    while handled < limit:
        with uow_factory(workspace) as uow:
            claimed = list(uow.outbox.claim(now, min(batch, limit - handled), token, lease))
            if not claimed:  # nothing to commit (nor a workspace to create, by looking)
                break
            uow.commit()
        started = time.monotonic()
        later: list[OutboxMessage] = []
        try:
            for i, msg in enumerate(claimed):
                if time.monotonic() - started > budget:
                    _release(uow_factory, workspace, claimed[i:], token)
                    return done
                outcome, wait = attempt(delivery, msg, clock() if clock is not None else now)
                handled += 1
                if outcome == "rate_limited":  # nothing was sent: written with the batch's others, once
                    later.append(msg)
                    if wait:  # the whole workspace must wait: give the rest back as they were, and stop
                        _release(uow_factory, workspace, claimed[i + 1 :], token)
                        done.resume_in = wait
                        return done
                    continue
                _record(uow_factory, workspace, [msg], token, done, outcome)
        finally:
            _record(uow_factory, workspace, later, token, done, "rate_limited")
    return done


def _record(uow_factory: UnitOfWorkFactory, workspace: str, messages: list[OutboxMessage], token: str,
            done: Drained, outcome: str) -> None:  # fmt: skip
    """Write outcomes in one short transaction (a sent message's alone: a crash right after its send
    must cost at most that one); a row another drainer has taken over meanwhile is left to it."""
    if not messages:
        return
    with uow_factory(workspace) as uow:
        kept = [uow.outbox.record(m, token) for m in messages]
        uow.commit()
    for m, ok in zip(messages, kept, strict=True):
        if not ok:
            log.warning("outbox: %s was taken over by another drainer while being sent", m.key)
        getattr(done, outcome if ok else "lost_lease").append(m)


def _release(uow_factory: UnitOfWorkFactory, workspace: str, unsent: list[OutboxMessage], token: str) -> None:
    with uow_factory(workspace) as uow:
        uow.outbox.release([m.id for m in unsent if m.id is not None], token)
        uow.commit()
