"""The rate limiter finds Slack's real limit from its 429s (bot.slack.ratelimit).

Our configured rate is twice what the workspace really allows (another app spends the rest).
A simulated Slack counts arrivals in a sliding second, as Slack does, and answers 429 with an
integer Retry-After of at least a second. Time is a hand-moved clock: a sender that tries, waits
what the limiter says and pauses on every 429 must reach most of the allowed rate, with few 429s.
"""

from __future__ import annotations

import math
import random
from collections import deque

import pytest

from bot.slack.ratelimit import Rate, RateLimiter

ALLOWED = 100
"""Calls a second the simulated Slack takes."""


def send_for(seconds: float, *, jitter: float, configured: float = 2.0 * ALLOWED, allowed: int = ALLOWED,
             seed: int = 1, stall_every: float = 0.0, stall: float = 0.0) -> tuple[float, int]:  # fmt: skip
    """Share of `allowed` delivered over `seconds`, and how many 429s it took. With `stall_every`,
    the sender stops for `stall` seconds that often (a commit, a busy CPU) and then goes on."""
    rnd = random.Random(seed)
    now = [0.0]
    limiter = RateLimiter(limits={"chat.postMessage": Rate(configured, configured)}, per_channel={},
                          clock=lambda: now[0], sleep=lambda _s: None)  # fmt: skip
    window: deque[float] = deque()
    delivered = refused = 0
    stalls = stall_every
    while now[0] < seconds:
        if stall_every and now[0] >= stalls:
            now[0] += stall
            stalls += stall_every
        wait = limiter.reserve("T1", "chat.postMessage")
        if wait > 0:
            now[0] += max(wait, 1e-6)
            continue
        arrives = now[0] + rnd.uniform(0.0, jitter)  # the network bunches calls up on the way
        while window and window[0] <= arrives - 1.0:
            window.popleft()
        if len(window) >= allowed:
            refused += 1
            limiter.pause("T1", "chat.postMessage", max(1, math.ceil(window[0] + 1.0 - arrives)))
        else:
            window.append(arrives)
            delivered += 1
        now[0] += 0.003  # what a send costs us
    return delivered / seconds / allowed, refused


@pytest.mark.parametrize("jitter", [0.0, 0.02])
def test_a_sender_configured_for_twice_the_limit_settles_above_90_percent_of_it(jitter: float) -> None:
    share, refused = send_for(300.0, jitter=jitter)
    assert share >= 0.9, share
    assert refused <= 10  # a few probes in five minutes, not a 429 every few seconds


def test_a_sender_that_stalls_now_and_then_does_not_burst_into_the_next_429() -> None:
    """Tokens saved up during a stall must not go out at once on top of the running rate (after a
    429 the bucket holds no more than the margin it keeps under the limit), and a 429 reads the
    rate Slack took in the last second, not an average over seconds the sender spent stalled."""
    share, refused = send_for(300.0, jitter=0.02, stall_every=3.0, stall=1.0)
    assert share >= 0.9 * 2 / 3, share  # a third of the time is spent stalled
    assert refused <= 10, refused


def test_a_limit_that_drops_is_followed_down_and_one_that_rises_is_found_again() -> None:
    low, _ = send_for(120.0, jitter=0.0, allowed=50)
    assert low >= 0.9
    # A sender that was cut to 50 a second finds 100 again when another app stops spending the quota
    now = [0.0]
    limiter = RateLimiter(limits={"chat.postMessage": Rate(200.0, 200.0)}, per_channel={},
                          clock=lambda: now[0], sleep=lambda _s: None)  # fmt: skip
    for _ in range(50):  # 50 calls in the last second, then a 429
        assert limiter.reserve("T1", "chat.postMessage") == 0.0
        now[0] += 0.02
    limiter.pause("T1", "chat.postMessage", 1)
    cut = limiter._buckets[("T1", "chat.postMessage")].per_second
    assert 40 <= cut <= 50
    now[0] += 600.0  # ten quiet minutes
    limiter.reserve("T1", "chat.postMessage")
    assert limiter._buckets[("T1", "chat.postMessage")].per_second >= 1.7 * cut


def test_another_workspace_keeps_its_own_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(limits={"chat.postMessage": Rate(200.0, 200.0)}, per_channel={},
                          clock=lambda: now[0], sleep=lambda _s: None)  # fmt: skip
    for _ in range(20):
        limiter.reserve("T1", "chat.postMessage")
        now[0] += 0.05
    limiter.pause("T1", "chat.postMessage", 1)
    assert limiter._buckets[("T1", "chat.postMessage")].per_second < 100
    limiter.reserve("T2", "chat.postMessage")
    assert limiter._buckets[("T2", "chat.postMessage")].per_second == 200.0
