"""Block Kit within Slack's limits, and user text that can't ping; the rate limiter on a fake clock."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from bot.slack import render
from bot.slack.home import home_view
from bot.slack.ratelimit import Rate, RateLimiter
from core import commands as c
from core.fakes import FakeStore
from core.model import Blocker, Dependency, DepState, Status
from core.offers import Act, blocker_offers, dependency_offers
from core.reply import ChannelRef, Item, Mention, Quote, Reply, line
from tests.unit.conftest import Org


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
    _, blocks = render.message(lines, dependency_offers(DEP, provider=True))
    assert len(blocks) == 50
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert blocks[-1]["type"] == "actions" and blocks[-2]["type"] == "context"
    assert "more lines" in blocks[-2]["elements"][0]["text"]
    one_huge = render.text_blocks(["y" * 7000])
    assert [len(b["text"]["text"]) for b in one_huge] == [3000, 3000, 1000]


DEP = Dependency(
    3, "a", "b", "w", date(2026, 12, 1), datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
)


def test_buttons_are_the_cores_offers_from_the_readers_side() -> None:
    ids = lambda els: [(e["action_id"], e.get("value")) for e in els]  # noqa: E731
    assert ids(render.offer_buttons(dependency_offers(DEP, provider=True))) == [("dep_accept", "D-3"),
                                                                                ("dep_decline", "D-3"),
                                                                                ("dep_propose", "D-3")]  # fmt: skip
    assert render.offer_buttons(dependency_offers(DEP, requester=True)) == []  # the requester can't accept
    accepted = replace(DEP, state=DepState.ACCEPTED)
    assert ids(render.offer_buttons(dependency_offers(accepted, requester=True))) == [("dep_done", "D-3")]
    assert render.offer_buttons(dependency_offers(replace(DEP, state=DepState.DELIVERED), provider=True)) == []
    blocker = Blocker(2, "t", "U0A", datetime(2026, 11, 1, tzinfo=UTC))
    assert ids(render.offer_buttons(blocker_offers(blocker))) == [("blocker_resolve", "B-2")]
    assert {render.ACTS[i] for i in render.ACTION_IDS.values()} == set(Act)  # every act has a button, and back


def test_app_home_stays_under_a_hundred_blocks() -> None:
    deps = tuple(Item("dependencies", line(f"D-{i}"), dependency_offers(DEP, provider=True)) for i in range(80))
    blockers = tuple(Item("blockers", line(f"B-{i}"), blocker_offers(Blocker(i, "t", "U0A", DEP.created_at)))
                     for i in range(80))  # fmt: skip
    view = home_view(Reply(lines=(line("Your teams: b"),), items=deps + blockers))
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
    o = Org(FakeStore())
    o.run("alice", c.TeamCreate("payments", "Payments"))
    o.run("alice", c.PriorityAdd("Grow", org=True, owner="alice"))  # P-1, three aligned beneath it
    for n, status, confidence, progress in ((2, Status.OFF_TRACK, 40, 10), (3, Status.ON_TRACK, 90, 45),
                                            (4, Status.AT_RISK, 60, 50)):  # fmt: skip
        o.run("alice", c.PriorityAdd(f"Part {n}", team="payments", parent=1))  # P-n
        o.run("alice", c.PriorityUpdate(n, status=status, confidence=confidence, progress=progress))
    o.run("alice", c.PriorityAdd("Hire", org=True, owner="alice"))  # P-5, nothing beneath it
    view = home_view(o.run("alice", c.Me()))
    texts = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert texts[0].endswith("· beneath it 3 aligned priorities: worst off-track, lowest confidence 40, 35% done "
                             "on average")  # fmt: skip
    assert "Hire" in texts[1] and "beneath it" not in texts[1]


def test_app_home_lists_proposals_waiting_on_me_and_my_slips_with_their_buttons() -> None:
    from core.scheduling import tick
    from tests.unit.conftest import NOW, Org, when

    o = Org(FakeStore())
    o.run("ada", c.TeamCreate("payments", "Payments"), channel="C-payments")
    o.run("ada", c.TeamCreate("ledger", "Ledger"), channel="C-ledger")
    o.run("ada", c.TeamAdd("payments", ("pia",)))
    o.run("ada", c.TeamAdd("ledger", ("leo",), lead=True))
    o.run("ada", c.PriorityAdd("Checkout", team="payments", owner="pia", due=when("+2w")))
    o.run("pia", c.DepRequest("ledger", "Keys", by=when("fri"), for_priority=1))
    o.run("pia", c.DepRequest("ledger", "Hooks", by=when("fri"), for_priority=1))
    o.run("leo", c.DepPropose(1, when("+1w")))
    o.run("leo", c.DepBlock(2, "Audit"))
    tick(o.store, "acme", NOW, NOW + timedelta(minutes=1), now=NOW + timedelta(minutes=1))
    view = home_view(o.run("pia", c.Me()))
    headers = [b["text"]["text"] for b in view["blocks"] if b["type"] == "header"]
    assert headers[1:4] == ["My priorities (1)", "Proposals waiting on me (1)", "Slips that touch my priorities (1)"]
    buttons = [e["action_id"] for b in view["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert buttons[:2] == ["dep_agree", "dep_reject"]
    assert "D-2 is blocked: it endangers P-1 (yours)" in json.dumps(view)
    leo = home_view(o.run("leo", c.Me()))  # nothing waits on leo: the lists are left out
    assert not [b for b in leo["blocks"] if b["type"] == "header" and "Proposals" in b["text"]["text"]]
