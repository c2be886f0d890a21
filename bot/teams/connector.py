"""Outgoing Bot Connector calls: paced per conversation, retried on 429/412/502/504.

msrest (under botbuilder) never retries a 429, and its urllib3 status retries skip POST and
sleep in a worker thread. So the status retries are switched off there and done here, once for
every connector call the bot makes (replies, card updates, proactive sends, roster look-ups):
exponential backoff with full jitter, at least the Retry-After the service asked for.

Teams limits how fast a bot may post to one conversation (per thread: 7 in 1 s, 8 in 2 s,
60 in 30 s, 1800 in an hour). The pacer waits before a post would break one of those windows,
so a burst of digests or notices is spread out instead of being answered with 429s.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from botbuilder.schema import Activity
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import (
    AuthenticateRequestResult,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
    UserTokenClient,
)
from botframework.connector.skills import BotFrameworkClient
from msrest.pipeline.async_abc import AsyncHTTPPolicy, AsyncPipeline

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({412, 429, 502, 504})
OUTBOX_SEND: contextvars.ContextVar[bool] = contextvars.ContextVar("flotilla_outbox_send", default=False)
"""Set by the outbox's sends: their 429s go back to the outbox (which waits without holding a
thread) instead of being slept out here."""
TEAMS_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))

Sleep = Callable[[float], Awaitable[None]]


class ConversationPacer:
    """Sliding windows of sends per conversation; `wait` returns when one more is allowed."""

    def __init__(
        self,
        limits: Sequence[tuple[float, int]] = TEAMS_LIMITS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.limits = tuple(limits)
        self.clock = clock
        self.sleep = sleep
        self._sent: dict[str, deque[float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._longest = max((w for w, _ in self.limits), default=0.0)
        self._biggest = max((n for _, n in self.limits), default=0)

    def delay(self, key: str) -> float:
        """Seconds to wait before the next send to `key` keeps every window within its limit."""
        sent = self._sent.get(key)
        if not sent:
            return 0.0
        now = self.clock()
        while sent and sent[0] <= now - self._longest:
            sent.popleft()
        wait = 0.0
        for window, limit in self.limits:
            in_window = [t for t in sent if t > now - window]
            if len(in_window) >= limit:
                wait = max(wait, in_window[-limit] + window - now)
        return wait

    async def wait(self, key: str) -> None:
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            for _ in range(len(self.limits) + 2):
                pause = self.delay(key)
                if pause <= 0:
                    break
                log.info("pacing conversation %s: waiting %.2fs", key, pause)
                await self.sleep(pause)
            sent = self._sent.setdefault(key, deque(maxlen=self._biggest or None))
            sent.append(self.clock())


def conversation_of(url: str) -> str | None:
    """`.../v3/conversations/<id>/activities[...]` -> `<id>` (sends and updates only)."""
    parts = urlsplit(url).path.split("/")
    try:
        i = parts.index("conversations")
    except ValueError:
        return None
    if len(parts) > i + 2 and parts[i + 2] == "activities":
        return unquote(parts[i + 1])
    return None


def retry_after(value: str | None, now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> float | None:
    """Retry-After in seconds: a number, or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now()).total_seconds())


class RetryPolicy(AsyncHTTPPolicy[Any, Any]):
    """One msrest pipeline step: pace sends, retry the statuses Teams answers when busy."""

    def __init__(
        self,
        pacer: ConversationPacer,
        *,
        attempts: int = 6,
        base: float = 0.5,
        cap: float = 30.0,
        sleep: Sleep = asyncio.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        super().__init__()
        self.pacer = pacer
        self.attempts = attempts
        self.base = base
        self.cap = cap
        self.sleep = sleep
        self.jitter = jitter

    def backoff(self, attempt: int, asked: float | None) -> float:
        """Full jitter on an exponential step; never sooner than the service asked."""
        step = min(self.cap, self.base * float(2 ** (attempt - 1)))
        jittered = self.jitter() * step
        return jittered if asked is None else asked + jittered * 0.1

    async def send(self, request: Any, **kwargs: Any) -> Any:
        http = request.http_request
        key = conversation_of(http.url) if http.method in ("POST", "PUT") else None
        response = None
        for attempt in range(1, self.attempts + 1):
            if key is not None:
                await self.pacer.wait(key)
            assert self.next is not None, "a pipeline step always has a next one"
            response = await self.next.send(request, **kwargs)
            status = response.http_response.status_code
            if status not in RETRY_STATUSES or attempt == self.attempts or (status == 429 and OUTBOX_SEND.get()):
                return response
            asked = retry_after(response.http_response.headers.get("Retry-After"))
            pause = self.backoff(attempt, asked)
            log.warning("connector %s %s answered %s; retry %d in %.2fs", http.method, urlsplit(http.url).path,
                        status, attempt, pause)  # fmt: skip
            await self.sleep(pause)
        return response


PolicyFactory = Callable[[], RetryPolicy]


def install(client: ConnectorClient, make_policy: PolicyFactory) -> ConnectorClient:
    """Put a fresh RetryPolicy last before the sender; switch msrest's own status retries off."""
    client.config.retry_policy.policy.status_forcelist = set()
    pipeline = client.config.pipeline
    policies = [*pipeline._impl_policies, make_policy()]  # noqa: SLF001 - msrest offers no public way
    client.config.pipeline = AsyncPipeline(policies, pipeline._sender)  # noqa: SLF001
    return client


class PacedConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    def __init__(self, inner: ConnectorFactory, make_policy: PolicyFactory) -> None:
        self._inner = inner
        self._make_policy = make_policy

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        return install(await self._inner.create(service_url, audience), self._make_policy)


class PacedAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """The configured authentication, with every connector it hands out paced and retried."""

    def __init__(self, inner: BotFrameworkAuthentication, make_policy: PolicyFactory) -> None:
        self._inner = inner
        self._make_policy = make_policy

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        result = await self._inner.authenticate_request(activity, auth_header)
        if result.connector_factory is not None:
            result.connector_factory = PacedConnectorFactory(result.connector_factory, self._make_policy)
        return result

    async def authenticate_streaming_request(
        self, auth_header: str, channel_id_header: str
    ) -> AuthenticateRequestResult:
        return await self._inner.authenticate_streaming_request(auth_header, channel_id_header)

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return PacedConnectorFactory(self._inner.create_connector_factory(claims_identity), self._make_policy)

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> UserTokenClient:
        return await self._inner.create_user_token_client(claims_identity)

    def create_bot_framework_client(self) -> BotFrameworkClient:
        return self._inner.create_bot_framework_client()

    def get_originating_audience(self) -> str:
        return str(self._inner.get_originating_audience())

    async def authenticate_channel_request(self, auth_header: str) -> ClaimsIdentity:
        return await self._inner.authenticate_channel_request(auth_header)
