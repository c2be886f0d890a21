"""Slack's per-method rate limits, kept on our side, and Retry-After honoured by every sender.

A 429 also tells us the limit we assumed was too high (another app or replica spends the same
workspace's quota): the method's bucket slows down to 95% of the rate Slack took over the last
second, and wins 0.1% of its rate back each second, so a sender settles just under what
Slack really allows (and finds a raised limit again) instead of hitting it every few seconds.

Slack limits each Web API method per workspace (tiers: 1+, 20+, 50+, 100+ a minute) and
chat.postMessage to about one message a second per channel. A token bucket per (workspace,
method) — and per channel for chat.postMessage — spaces the calls so that a fan-out runs at
the allowed rate instead of hitting 429s. When a 429 comes anyway (another replica, another
app), its Retry-After pauses that method for every thread of this process, not only the one
that got it, and the call is retried.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web import WebClient
from slack_sdk.web.slack_response import SlackResponse

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: float = 1.0


def per_minute(n: float, burst: float | None = None) -> Rate:
    return Rate(n / 60.0, burst if burst is not None else max(1.0, n / 20.0))


TIER_2, TIER_3, TIER_4 = per_minute(20), per_minute(50), per_minute(100)

SLACK_LIMITS: dict[str, Rate] = {
    "chat.postMessage": Rate(5.0, 10.0),
    "chat.postEphemeral": TIER_4,
    "chat.update": TIER_3,
    "conversations.open": TIER_3,
    "users.info": TIER_4,
    "views.open": TIER_4,
    "views.publish": TIER_4,
    "views.update": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.completeUploadExternal": TIER_4,
}
"""Our defaults, under Slack's published tiers (chat.postMessage has its own workspace limit)."""

PER_CHANNEL: dict[str, Rate] = {"chat.postMessage": Rate(1.0, 3.0)}
"""chat.postMessage: about one message a second to one channel, short bursts allowed."""


SLOW_DOWN = 0.95
"""A 429 says our idea of the limit was too high: the bucket's rate is cut to this share of what
went through lately (SEEN_SECONDS), or of itself if that was more."""
SEEN_SECONDS = 1.0
"""How far back a 429 looks to see the rate Slack did take: the second Slack counts. A longer look
averages in seconds the sender spent stalled or paused and reads the limit low, and a rate cut too
low takes minutes to win back (tests/adapters/slack/test_slack_rate_finding.py)."""
RECOVER_PER_SECOND = 0.001
"""... and every second without one wins back this share of the rate (of itself: a rate found low
recovers slowly, and probes for a raised limit without provoking a 429 every few seconds)."""
SLOWEST = 0.05


@dataclass
class _Bucket:
    rate: Rate
    tokens: float
    updated: float
    paused_until: float = 0.0
    share: float = 1.0
    """Of `rate`, what Slack's 429s taught us we may really use now (another app, another replica
    spending the same workspace's limit): cut on a 429, won back second by second."""
    taken: deque[float] = field(default_factory=lambda: deque(maxlen=1000))
    """When the last calls were let through: on a 429, how many Slack took in the last second is the
    best guess of what it allows."""

    @property
    def per_second(self) -> float:
        return self.rate.per_second * self.share

    @property
    def capacity(self) -> float:
        """Tokens the bucket may hold. Once a 429 has said the limit is near our rate, only what
        fits in the margin kept under it: a bucket lets `capacity + rate` through in a second,
        and a full second's burst saved up while the sender stalled (a commit, a busy CPU) went
        out at once on top of the running rate and met the next 429."""
        if self.share >= 1.0:
            return self.rate.burst
        return min(self.rate.burst, max(1.0, (1.0 - SLOW_DOWN) * self.per_second))


@dataclass
class RateLimiter:
    """Thread-safe token buckets. `clock` and `sleep` are injectable for tests."""

    limits: Mapping[str, Rate] = field(default_factory=lambda: dict(SLACK_LIMITS))
    per_channel: Mapping[str, Rate] = field(default_factory=lambda: dict(PER_CHANNEL))
    default: Rate = TIER_3
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _buckets: dict[tuple[str, ...], _Bucket] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def _bucket(self, key: tuple[str, ...], rate: Rate, now: float) -> _Bucket:
        b = self._buckets.get(key)
        if b is None:
            b = self._buckets[key] = _Bucket(rate=rate, tokens=rate.burst, updated=now)
        return b

    def _wait_needed(self, keys: list[tuple[tuple[str, ...], Rate]]) -> float:
        """Under the lock: take a token from every bucket, or say how long to wait (taking nothing)."""
        now = self.clock()
        buckets = [self._bucket(k, r, now) for k, r in keys]
        wait = 0.0
        for b in buckets:
            elapsed = max(now - b.updated, 0.0)
            b.tokens = min(b.capacity, b.tokens + elapsed * b.per_second)
            b.share = min(1.0, b.share * (1.0 + RECOVER_PER_SECOND) ** elapsed)
            b.updated = max(now, b.updated)
            if b.paused_until > now:
                wait = max(wait, b.paused_until - now)
            elif b.tokens < 1.0:
                wait = max(wait, (1.0 - b.tokens) / b.per_second)
        if wait > 0:
            return wait
        for b in buckets:
            b.tokens -= 1.0
            b.taken.append(now)
        return 0.0

    def acquire(self, workspace: str, method: str, channel: str | None = None, max_wait: float = 900.0) -> float:
        """Block until `method` may be called for `workspace`; returns the seconds waited."""
        keys: list[tuple[tuple[str, ...], Rate]] = [((workspace, method), self.limits.get(method, self.default))]
        if channel and method in self.per_channel:
            keys.append(((workspace, method, channel), self.per_channel[method]))
        waited = 0.0
        while waited <= max_wait:
            with self._lock:
                wait = self._wait_needed(keys)
            if wait <= 0:
                return waited
            self.sleep(wait)
            waited += wait
        raise TimeoutError(f"{method} stayed rate limited for {max_wait:.0f}s")

    def reserve(self, workspace: str, method: str, channel: str | None = None) -> float:
        """Take a token for `method` now if there is one (0.0), else say how long until there is,
        taking nothing: for callers that must not sleep long (the outbox puts the message back)."""
        return self.reserve_why(workspace, method, channel)[0]

    def reserve_why(self, workspace: str, method: str, channel: str | None = None) -> tuple[float, bool]:
        """`reserve`, and whether the wait is the whole method's (True) or only this channel's."""
        method_key: tuple[tuple[str, ...], Rate] = ((workspace, method), self.limits.get(method, self.default))
        keys = [method_key]
        if channel and method in self.per_channel:
            keys.append(((workspace, method, channel), self.per_channel[method]))
        with self._lock:
            wait = self._wait_needed(keys)
            if wait <= 0:
                return 0.0, False
            now = self.clock()
            b = self._bucket(method_key[0], method_key[1], now)
            whole = b.paused_until > now or b.tokens < 1.0
            return wait, whole

    def pause(self, workspace: str, method: str, seconds: float) -> None:
        """Slack said 429 with Retry-After: nobody in this process calls `method` before then."""
        with self._lock:
            now = self.clock()
            b = self._bucket((workspace, method), self.limits.get(method, self.default), now)
            b.paused_until = max(b.paused_until, now + seconds)
            b.tokens = 0.0
            b.updated = b.paused_until  # no tokens pile up during the pause, to burst out after it
            b.share = max(SLOWEST, SLOW_DOWN * min(b.share, _seen(b, now)))


def _seen(b: _Bucket, now: float) -> float:
    """The rate Slack took over the last SEEN_SECONDS (or since the first call), as a share of the
    bucket's configured rate; the refused call, which took a token too, is not counted."""
    recent = [t for t in b.taken if t > now - SEEN_SECONDS]
    if len(recent) < 2:
        return 1.0
    span = max(now - recent[0], 1.0)
    return (len(recent) - 1) / span / b.rate.per_second


def _method_of(url: str) -> str:
    return url.rsplit("/api/", 1)[-1].split("?", 1)[0]


class RetryAfterHandler(RetryHandler):
    """Retries a 429 after its Retry-After, pausing the method for the whole process meanwhile.

    slack_sdk retries nothing by itself; its RateLimitErrorRetryHandler sleeps only the thread that
    was refused. A 429 means Slack did not act on the call, so retrying it cannot send twice.
    """

    def __init__(self, limiter: RateLimiter, workspace: str, max_retry_count: int = 5) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.limiter = limiter
        self.workspace = workspace

    def __deepcopy__(self, memo: dict[int, Any]) -> RetryAfterHandler:
        """Bolt deep-copies the request context (with its client) for lazy listeners: the copy must
        still share this process's limiter, which is the point of it."""
        return self

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        return response is not None and response.status_code == 429

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        seconds = 1.0
        for k, v in response.headers.items():
            if k.lower() == "retry-after" and v:
                try:
                    seconds = float(v[0] if isinstance(v, list) else v)
                except ValueError:
                    seconds = 1.0
        method = _method_of(request.url)
        log.info("Slack rate-limited %s: retrying after %.1fs", method, seconds)
        self.limiter.pause(self.workspace, method, seconds)
        self.limiter.acquire(self.workspace, method)  # waits out the pause, like every other sender
        state.next_attempt_requested = True
        state.increment_current_attempt()


def retry_handlers(rate_limits: RetryHandler) -> list[RetryHandler]:
    """slack_sdk's default handler (a connection reset or refused is tried again) and ours for
    429s: giving `retry_handlers` replaces the default, so both are named. Not for the outbox's
    sends (bot.slack.delivery): a post whose connection dropped is looked for before it is resent."""
    return [ConnectionErrorRetryHandler(), rate_limits]


class LimitedWebClient(WebClient):
    """A WebClient that takes a token from the limiter before every call (and retries 429s)."""

    def __init__(self, *, limiter: RateLimiter, workspace: str, **kwargs: Any) -> None:
        kwargs.setdefault("retry_handlers", retry_handlers(RetryAfterHandler(limiter, workspace)))
        super().__init__(**kwargs)
        self.limiter = limiter
        self.workspace = workspace

    def api_call(self, api_method: str, **kwargs: Any) -> SlackResponse:
        channel = None
        for part in ("json", "data", "params"):
            payload = kwargs.get(part)
            if isinstance(payload, dict) and isinstance(payload.get("channel"), str):
                channel = payload["channel"]
        self.limiter.acquire(self.workspace, api_method, channel)
        return super().api_call(api_method, **kwargs)
