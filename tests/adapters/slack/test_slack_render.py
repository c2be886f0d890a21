"""Block Kit within Slack's limits, and user text that can't ping; the rate limiter on a fake clock."""

from __future__ import annotations

from bot.slack import render
from bot.slack.home import home_view
from bot.slack.ratelimit import Rate, RateLimiter
from core.reply import ChannelRef, Mention, Notice, Quote, line


def test_people_channels_and_user_text() -> None:
    ln = line("B-1 ", Quote("<!here> <!subteam^S1|@devs> @channel a&b <@U0BOB|bob> <#C0PAY|pay>"), " by ",
              Mention("U0ADA"), " in ", ChannelRef("C0PAY"), " <date>")  # fmt: skip
    text = render.mrkdwn_line(ln)
    assert text == ("B-1 &lt;!here&gt; &lt;!subteam^S1|@devs&gt; @\u200bchannel a&amp;b <@U0BOB> <#C0PAY> by <@U0ADA>"
                    " in <#C0PAY> &lt;date&gt;")  # fmt: skip
    assert render.person("alice") == "@alice" and render.channel("payments") == "#payments"
    assert render.unescape("a &amp;lt; b &lt;!here&gt;") == "a &lt; b <!here>"


def test_long_replies_are_split_into_sections_and_cut_at_fifty_blocks() -> None:
    lines = [line(f"  D-{i} ", Quote("x" * 200)) for i in range(2000)]
    _, blocks = render.message(lines, render.dependency_buttons("D-1", "requested"))
    assert len(blocks) == 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert blocks[-1]["type"] == "actions" and blocks[-2]["type"] == "context"
    assert "more lines" in blocks[-2]["elements"][0]["text"]
    one_huge = render.text_blocks(["y" * 7000])
    assert [len(b["text"]["text"]) for b in one_huge] == [3000, 3000, 1000]


def test_buttons_follow_the_records_state() -> None:
    ids = lambda els: [e["action_id"] for e in els]  # noqa: E731
    assert ids(render.buttons_for_record({"id": "D-3", "state": "requested"})) == ["dep_accept", "dep_decline"]
    assert ids(render.buttons_for_record({"id": "D-3", "state": "accepted"})) == ["dep_done"]
    assert render.buttons_for_record({"id": "D-3", "state": "delivered"}) == []
    assert ids(render.buttons_for_record({"id": "B-2", "state": "open"})) == ["blocker_resolve"]
    assert render.buttons_for_record([{"id": "D-3", "state": "requested"}]) == []
    ask = Notice(lines=(line("ask"),), channel="C0LEDGER", key="D-7:requested:#C0LEDGER")
    assert ids(render.buttons_for_notice(ask)) == ["dep_accept", "dep_decline"]
    assert render.buttons_for_notice(Notice(lines=(), channel="C1", key="D-7:blocked:2026")) == []


def test_app_home_stays_under_a_hundred_blocks() -> None:
    dep = {"id": "D-1", "from_team": "a", "to_team": "b", "what": "w", "needed_by": "2026-12-01", "committed": None,
           "for": None, "state": "requested", "blocked_reason": None, "requester_owner": "U0A", "provider_owner": None,
           "blocked_from": None, "declined_reason": None, "created_at": "2026-11-01T00:00:00+00:00",
           "updated_at": "2026-11-01T00:00:00+00:00", "answered_at": None, "delivered_at": None}  # fmt: skip
    blocker = {"id": "B-1", "text": "t", "team": "a", "on": None, "state": "open", "raised_by": "U0A",
               "raised_at": "2026-11-01T00:00:00+00:00", "resolved_by": None, "resolved_at": None}  # fmt: skip
    view = home_view({"teams": ["b"], "priorities": [], "dependencies": [dep] * 80, "blockers": [blocker] * 80})
    assert len(view["blocks"]) <= 100
    assert any("65 more dependencies" in str(b) for b in view["blocks"])


def test_rate_limiter_spaces_calls_and_honours_pauses() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(s)
        now[0] += s

    limiter = RateLimiter(
        limits={"chat.postMessage": Rate(2.0, 2.0)}, per_channel={}, clock=lambda: now[0], sleep=sleep
    )
    for _ in range(6):
        limiter.acquire("T1", "chat.postMessage")
    assert now[0] == 2.0  # a burst of 2, then one every half second
    limiter.pause("T1", "chat.postMessage", 30)
    limiter.acquire("T1", "chat.postMessage")
    assert now[0] >= 32.0
    before = now[0]
    limiter.acquire("T2", "chat.postMessage")  # another workspace has its own budget
    assert now[0] == before


def test_app_home_shows_a_priority_s_rollup_beside_its_own_status() -> None:
    prio = {"id": "P-1", "title": "Grow", "outcome": None, "team": None, "owner": "U0A", "parent": None,
            "status": "on-track", "confidence": None, "progress": 0, "due": None, "rank": 1, "closed_reason": None,
            "created_at": "2026-11-01T00:00:00+00:00", "updated_at": "2026-11-01T00:00:00+00:00",
            "rollup": {"children": 3, "status": "off-track", "confidence": 40, "progress": 35}}  # fmt: skip
    view = home_view({"teams": [], "priorities": [prio, prio | {"id": "P-2", "rollup": None}]})
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert texts[0].endswith("· beneath it 3 aligned priorities: worst off-track, lowest confidence 40, 35% done "
                             "on average")  # fmt: skip
    assert "beneath it" not in texts[1]
