"""The weekly leader briefing (SPEC: Leader briefing, `rhythm set briefing`, `briefing`)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from core import commands as c
from core.briefing import MEMBER, ORG, BriefingSchedule, due, recipients
from core.context import Services
from core.dates import DateSpec
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.fakes import FakeStore
from core.model import Person, Status, Team
from core.narrative import Claim, Narrative, NarrativeUnavailable
from core.offers import Act, command_for
from core.scheduling import tick
from tests.unit.conftest import NOW, Org, render

MON_0830 = time(8, 30)


def teams() -> list[Team]:
    return [Team("product", "Product", leads=["paula"]), Team("payments", "Payments", parent="product", leads=["pete"]),
            Team("infra", "Infra", leads=["ian"])]  # fmt: skip


def people() -> list[Person]:
    return [Person("alice", "Alice", tz="Europe/Berlin", admin=True), Person("zed", "Zed", tz="Asia/Tokyo", admin=True),
            Person("paula", "Paula", tz="America/New_York"), Person("pete", "Pete"), Person("ian", "Ian")]  # fmt: skip


def test_recipients_are_the_leads_of_a_team_with_teams_beneath_it_or_the_admins() -> None:
    assert recipients("product", teams(), people()) == ("paula",)
    assert recipients("payments", teams(), people()) == ()  # no team beneath it
    assert recipients(ORG, teams(), people()) == ("alice", "zed")


def test_each_recipient_at_the_local_time_in_the_right_zone() -> None:
    week = (datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC))
    schedules = [BriefingSchedule(ORG, 0, MON_0830, MEMBER), BriefingSchedule("product", 0, MON_0830, "Europe/Berlin")]
    found = [(d.scope, d.person, d.at.isoformat(), d.period) for d in due(schedules, teams(), people(), {}, *week)]
    assert found == [
        (ORG, "zed", "2026-11-29T23:30:00+00:00", "2026-W49"),  # Monday 08:30 in Tokyo is Sunday evening UTC
        (ORG, "alice", "2026-11-30T07:30:00+00:00", "2026-W49"),
        ("product", "paula", "2026-11-30T07:30:00+00:00", "2026-W49"),  # --tz given: everyone at 08:30 Berlin
    ]
    default = due([BriefingSchedule("product", 0, MON_0830)], teams(), people(), {"product": "America/New_York"}, *week)
    assert [d.at.isoformat() for d in default] == ["2026-11-30T13:30:00+00:00"]  # the team's zone by default


def test_across_the_spring_change_the_briefing_keeps_its_local_time() -> None:
    march = (datetime(2027, 3, 28, tzinfo=UTC), datetime(2027, 3, 30, tzinfo=UTC))  # Berlin moves on Sunday 28th
    found = due([BriefingSchedule("product", 0, MON_0830, "Europe/Berlin")], teams(), people(), {}, *march)
    assert [d.at.isoformat() for d in found] == ["2027-03-29T06:30:00+00:00"]  # 08:30 CEST


# --- through the commands ------------------------------------------------------------------------


@pytest.fixture
def week(acme: Org) -> Org:
    """acme (product over payments and checkout; infra alone) with a week of news beneath product."""
    o = acme
    o.run("alice", c.PriorityAdd("Grow revenue", org=True, owner="alice", due=DateSpec("2027-06-30")))  # P-1
    o.run("pete", c.PriorityAdd("Refunds", owner="mia", parent=1, due=DateSpec("2027-03-01")))  # P-2 payments
    o.run("cleo", c.PriorityAdd("Basket", owner="max", parent=1, due=DateSpec("2027-03-01")))  # P-3 checkout
    o.run("ian", c.PriorityAdd("Cheaper CI"))  # P-4 infra, aligned to nothing
    o.run("mia", c.DepRequest("infra", "Keys", DateSpec("2027-01-20"), for_priority=2, team="payments"))  # D-1
    o.run("ian", c.DepAccept(1, owner="ivy"))
    o.run("max", c.DepRequest("infra", "Cache", DateSpec("2027-01-10"), for_priority=3, team="checkout"))  # D-2
    o.run("ivy", c.DepAccept(2))
    day = NOW + timedelta(days=1)
    o.run("mia", c.PriorityUpdate(2, status=Status.AT_RISK, confidence=60), now=day)
    o.run("mia", c.PriorityUpdate(2, confidence=40), now=day + timedelta(days=1))
    o.run("mia", c.DepBlock(1, "Security review"), now=day)
    o.run("ivy", c.DepDone(2), now=day + timedelta(days=2))
    o.run("max", c.BlockerAdd("Staging down", on="infra"), now=day)
    return o


NEXT_MON = NOW + timedelta(days=7)


def test_briefing_groups_the_weeks_changes_and_risks_by_org_priority(week: Org) -> None:
    text = week.say("paula", c.Briefing(team="product"), now=NEXT_MON)
    lines = text.splitlines()
    assert lines[0] == ("Leader briefing for product and the 2 teams beneath it, the week to 2026-11-30 (since Mon "
                        "2026-11-23):")  # fmt: skip
    assert lines[1] == ("This week: 1 status change, 1 dependency blocked, 1 dependency delivered, 1 blocker opened. "
                        "6 risks call for attention (1 high: score 70 or more).")  # fmt: skip
    group = text.split("\n\n")[1].splitlines()
    assert group[0].startswith("P-1 Grow revenue — on-track, 0% done, due 2027-06-30, owner @alice · beneath it 2")
    assert "    • P-2 status on-track → at-risk, confidence none → 40 (@mia)" in group  # first before, last after
    assert "    • D-1 (payments → infra) blocked and still is: “Security review”" in group
    assert "    • D-2 delivered by infra to checkout (Thu)" in group
    assert any(ln.startswith("    • ") and "· P-2 depends on D-1 (blocked)" in ln for ln in group)
    assert "B-1 opened on infra by @max: “Staging down”" in text
    assert "P-4" not in text  # infra's own priority is not beneath product
    assert lines[-1] == ("Not sent on a schedule yet: `rhythm set briefing --team product --day mon --at 08:30` sends "
                         "it each week by direct message.")  # fmt: skip


def test_every_line_cites_an_id(week: Org) -> None:
    text = week.say("paula", c.Briefing(team="product"), now=NEXT_MON)
    body = text.split("\n\n")[1:-1]
    import re

    for ln in "\n".join(body).splitlines():
        if ln.strip() and not ln.strip().startswith(("Changed:", "Needs attention:", "→", "Under no org")):
            assert re.search(r"\b[PDB]-\d+\b", ln), ln


def test_nothing_changed_is_said_too(acme: Org) -> None:
    acme.run("alice", c.PriorityAdd("Grow revenue", org=True, owner="alice"))
    text = acme.say("alice", c.Briefing(org=True), now=NOW + timedelta(days=8))
    assert text.splitlines()[1] == "Nothing changed in the last 7 days. 1 risk calls for attention."


def test_an_acknowledged_risk_leaves_the_attention_list_and_comes_back_for_review(week: Org) -> None:
    later = NOW + timedelta(days=8)  # D-1 blocked 7 days: a blocked_dependency risk
    week.run("ivy", c.RisksAck("D-1", DateSpec("2026-12-07"), "Vendor signs Friday"), now=later)
    text = week.say("paula", c.Briefing(team="product"), now=later)
    assert "has been blocked for" not in text and "Acknowledged risks due for review" not in text
    review_day = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # its date has come
    text = week.say("paula", c.Briefing(team="product"), now=review_day)
    part = text.split("Acknowledged risks due for review:\n")[1].splitlines()
    assert part[0].startswith("  • D-1: acknowledged by @ivy until 2026-12-07 — it ends today, now ")
    data = week.data("paula", c.Briefing(team="product"), now=review_day)
    assert data["reviews"][0]["commands"] == {"renew": 'risks ack D-1 --until 2026-12-14 "Vendor signs Friday"',
                                              "end": "risks unack D-1"}  # fmt: skip


def test_a_review_offers_renew_and_end_and_renew_keeps_the_note(week: Org) -> None:
    later = NOW + timedelta(days=8)
    week.run("ivy", c.RisksAck("D-1", DateSpec("2026-12-07"), "Vendor signs Friday"), now=later)
    review_day = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    renew, end = week.run("paula", c.Briefing(team="product"), now=review_day).offers
    assert (renew.act, end.act) == (Act.RISK_RENEW, Act.RISK_END)
    assert renew.typed == 'risks ack D-1 --until 2026-12-14 "Vendor signs Friday"' and end.typed == "risks unack D-1"

    # Max is no lead of the teams D-1 joins: the click is refused as the typed command would be
    week.refused("max", command_for(renew.act, renew.subject), PermissionDenied, now=review_day)
    said = week.say("ivy", command_for(renew.act, renew.subject), now=review_day)
    assert said.startswith("Renewed: the risks on D-1") and "until 2026-12-14: “Vendor signs Friday”" in said
    assert week.run("paula", c.Briefing(team="product"), now=review_day).offers == ()  # nothing due for review

    week.say("ivy", command_for(end.act, end.subject), now=review_day)
    assert week.data("ivy", c.RisksAcks(), now=review_day) == []
    # a renewal of what is no longer acknowledged says so, and changes nothing
    assert week.refused("ivy", command_for(renew.act, renew.subject), NotFound, now=review_day).startswith(
        "Nothing acknowledges the risks on D-1 any more"
    )


# --- scheduling ------------------------------------------------------------------------------------


def test_set_briefing_who_may_and_what_is_refused(week: Org) -> None:
    set_ = c.RhythmSetBriefing(day=0, at=MON_0830, team="product", tz="Europe/Berlin")
    assert week.refused("pete", set_, PermissionDenied).startswith("Only a lead of product")
    said = week.say("paula", set_)
    assert said.splitlines()[0] == ("Leader briefing of product set: every mon at 08:30 Europe/Berlin, by direct "
                                    "message to @paula.")  # fmt: skip
    assert said.splitlines()[1] == "  Next for @paula: Mon 2026-11-30 08:30 Europe/Berlin."
    leaf = c.RhythmSetBriefing(day=0, at=MON_0830, team="payments")
    assert week.refused("pete", leaf, InvalidInput).startswith("payments has no teams beneath it")
    org = c.RhythmSetBriefing(day=0, at=MON_0830, org=True)
    assert week.refused("paula", org, PermissionDenied) == "Only an admin can set the organisation's leader briefing."
    bad = c.RhythmSetBriefing(day=0, at=MON_0830, team="product", tz="Mars/Olympus")
    assert "not a time zone I know" in week.refused("paula", bad, InvalidInput)


def sent(store: FakeStore) -> list[Any]:
    with store("acme") as uow:
        return [m for m in uow.outbox.list() if m.key.startswith("briefing:")]


def test_tick_sends_each_persons_briefing_once_a_week_in_their_zone(week: Org, store: FakeStore) -> None:
    week.run("paula", c.RhythmSetBriefing(day=0, at=MON_0830, team="product", tz=MEMBER))
    week.run("alice", c.RhythmSetBriefing(day=0, at=MON_0830, org=True, tz="Asia/Tokyo"))
    start = NOW + timedelta(days=6)  # Sunday
    tick(store, "acme", start, start + timedelta(hours=23, minutes=31))  # to Monday 08:31 UTC
    assert [(m.person, m.key) for m in sent(store)] == [
        ("alice", "briefing:org:2026-W49:@alice"),  # Monday 08:30 in Tokyo (Sunday 23:30 UTC)
        ("paula", "briefing:product:2026-W49:@paula"),  # paula has no zone of her own: UTC
    ]
    tick(store, "acme", start, start + timedelta(days=2))  # the same window again, and more: nothing new
    assert len(sent(store)) == 2
    body = render(sent(store)[1].lines)
    assert body.startswith("Leader briefing for product and the 2 teams beneath it, the week to 2026-11-30")
    with store("acme") as uow:
        assert [row[:3] for row in uow.briefings.claimed()] == [("org", "alice", "2026-W49"),
                                                                ("product", "paula", "2026-W49")]  # fmt: skip


def test_a_briefing_found_long_after_its_time_is_skipped_not_sent(week: Org, store: FakeStore) -> None:
    week.run("paula", c.RhythmSetBriefing(day=0, at=MON_0830, team="product"))
    mon = datetime(2026, 11, 30, 8, 30, tzinfo=UTC)
    late = mon + timedelta(hours=13)
    done = tick(store, "acme", mon - timedelta(hours=1), late, now=late, grace=timedelta(minutes=30))
    assert (done.briefed, done.briefings_skipped) == (0, 1) and sent(store) == []
    week.run("paula", c.RhythmSetBriefing(day=0, at=MON_0830, team="product"))
    soon = mon + timedelta(days=7, hours=2)
    done = tick(
        store, "acme", mon + timedelta(days=7) - timedelta(hours=1), soon, now=soon, grace=timedelta(minutes=30)
    )
    assert done.briefed == 1  # two hours late is still worth reading on a Monday


class FakeModel:
    def __init__(self, answer: Narrative | Exception) -> None:
        self.answer = answer
        self.asked: list[tuple[dict[str, Any], str]] = []

    def narrate(self, extract: dict[str, Any], purpose: str = "summary") -> Narrative:
        self.asked.append((extract, purpose))
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


def test_the_models_opening_is_used_only_when_every_id_in_it_is_in_the_data(week: Org, store: FakeStore) -> None:
    good = FakeModel(Narrative((Claim("D-1 is blocked, endangering P-1; @ivy should act.", ("D-1", "P-1")),)))
    week.run("paula", c.RhythmSetBriefing(day=0, at=MON_0830, team="product"))
    start = NOW + timedelta(days=6)
    tick(store, "acme", start, start + timedelta(days=1), summarizer=good)
    extract, purpose = good.asked[0]
    assert purpose == "briefing" and {c["id"] for c in extract["changes"]} >= {"D-1", "D-2", "P-2", "B-1"}
    lines = render(sent(store)[0].lines).splitlines()
    assert lines[1] == "D-1 is blocked, endangering P-1; @ivy should act. [D-1, P-1]"

    liar = FakeModel(Narrative((Claim("P-1 is fine but D-777 and P-4242 are about to fail.", ("P-1",)),)))
    week.run("alice", c.RhythmSetBriefing(day=0, at=MON_0830, org=True))
    tick(store, "acme", start, start + timedelta(days=1), summarizer=liar)
    told = render(sent(store)[0].lines if sent(store)[0].person == "alice" else sent(store)[1].lines).splitlines()
    assert told[1] == (
        "(The narrative summary was unavailable: it mentioned 'D-777', which is not in the data; "
        "here is the standard one.)"
    )
    assert told[2].startswith("This week: ") and "D-777" not in "\n".join(told[2:])


def test_on_demand_briefing_with_a_model_narrates_after_the_transaction(week: Org) -> None:
    model = FakeModel(NarrativeUnavailable("no answer within 20 seconds"))
    reply_ = week.store  # the Org helper runs without services: run execute directly
    from core.context import Context, PersonInfo
    from core.service import execute

    ctx = Context(actor=PersonInfo("paula", "Paula"), now=NEXT_MON)
    result = execute(reply_, "acme", ctx, c.Briefing(team="product"), Services(summarizer=model))
    assert render(result.lines).splitlines()[1].startswith("(The narrative summary was unavailable: no answer")
    assert result.data["note"] == "no answer within 20 seconds" and result.data["narrative"] is None


def test_the_cheap_check_before_reading_people_never_misses_a_briefing() -> None:
    """The scheduler skips reading the people unless `may_fall_due`: it must hold whenever `due` finds one."""
    import random as _random
    from zoneinfo import available_timezones

    from core.briefing import may_fall_due

    rng = _random.Random(16)
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    hits = 0
    for _ in range(3000):
        zone = rng.choice(zones + ["Pacific/Kiritimati", "Pacific/Niue", "Etc/GMT+12"])
        who = [Person("alice", "Alice", tz=zone, admin=True)]
        s = BriefingSchedule(ORG, rng.randrange(7), time(rng.randrange(24), rng.choice((0, 30, 59))), MEMBER)
        t0 = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=rng.randrange(60 * 24 * 400))
        t1 = t0 + timedelta(minutes=rng.choice((1, 20, 60, 600)))
        if due([s], [], who, {}, t0, t1):
            hits += 1
            assert may_fall_due(s, t0, t1), (zone, s, t0, t1)
    assert hits > 30
    far = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # a Wednesday: a Monday briefing is days away everywhere
    assert not may_fall_due(BriefingSchedule(ORG, 0, MON_0830, MEMBER), far, far + timedelta(minutes=20))


def test_rhythm_pause_stops_the_teams_briefing_and_show_lists_it(week: Org, store: FakeStore) -> None:
    week.run("paula", c.RhythmSetBriefing(day=0, at=MON_0830, team="product", tz="Europe/Berlin"))
    shown = week.say("paula", c.RhythmShow(team="product"))
    assert "Leader briefing: every mon at 08:30 Europe/Berlin, by direct message to @paula." in shown
    assert "Leader briefing" not in week.say("pete", c.RhythmShow(team="payments"))  # nothing beneath payments
    week.run("paula", c.RhythmPause(team="product"))
    start = NOW + timedelta(days=6)
    assert tick(store, "acme", start, start + timedelta(days=1)).briefed == 0
    week.run("paula", c.RhythmResume(team="product"))
    later = start + timedelta(days=7)
    assert tick(store, "acme", later, later + timedelta(days=1)).briefed == 1
