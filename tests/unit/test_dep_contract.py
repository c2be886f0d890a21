"""The dependency contract: propose, agree, reject, commit (re-plan), owner; follow-through notices;
slip alerts settled by the scheduler's tick (SPEC.md, Follow-through)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from core import commands as c
from core.errors import Conflict, InvalidInput, PermissionDenied
from core.model import DepState
from core.scheduling import tick
from tests.unit.conftest import NOW, Org, render, when

# payments (lead pete, member mia) asks infra (lead ian, member ivy); product (lead paula) is their parent.


@pytest.fixture
def dep(acme: Org) -> Org:
    """D-1: payments asks infra for "DB capacity" by 2026-12-07 for P-2 (pete's), aligned to org P-1 (alice's)."""
    acme.run("alice", c.PriorityAdd("Grow revenue", org=True, owner="alice", due=when("2026-12-31")))
    acme.run("pete", c.PriorityAdd("Ship refunds", team="payments", owner="pete", parent=1, due=when("2026-12-10")))
    acme.run("mia", c.DepRequest("infra", "DB capacity", by=when("+2w"), for_priority=2))
    return acme


def tick_at(o: Org, at: datetime) -> list[tuple[str | None, str]]:
    """Tick the scheduler up to `at`; the slip alerts it queued, as (person, text)."""
    before = {m.key for m in o.state.outbox}
    tick(o.store, o.workspace, at - timedelta(minutes=1), at, now=at)
    return [(m.person, render(m.lines)) for m in o.state.outbox if m.key not in before and m.key.startswith("slip:")]


def test_propose_agree(dep: Org) -> None:
    r = dep.run("ivy", c.DepPropose(1, when("2026-12-09"), "Capacity after the freeze"))
    assert render(r.lines) == ("D-1: proposed 2026-12-09 to payments (needed by 2026-12-07, 2 days later); they have "
                               "been asked to agree or reject.")  # fmt: skip
    d = dep.dep(1)
    assert (d.state, d.proposed, d.proposed_reason, d.provider_owner) == (
        DepState.PROPOSED, date(2026, 12, 9), "Capacity after the freeze", "ivy")  # fmt: skip
    assert [(n.channel, n.person) for n in r.notices] == [("C-payments", None), (None, "mia")]
    assert [o.act.value for o in r.notices[0].offers] == ["dep.agree", "dep.reject"]
    assert "infra proposes 2026-12-09 for D-1" in render(r.notices[0].lines)
    r = dep.run("mia", c.DepAgree(1))
    assert render(r.lines) == "D-1 accepted: committed 2026-12-09, as infra proposed."
    d = dep.dep(1)
    assert (d.state, d.committed, d.proposed) == (DepState.ACCEPTED, date(2026, 12, 9), None)
    assert [(n.channel, n.person) for n in r.notices] == [("C-infra", None), (None, "ivy")]
    assert [e.kind for e in dep.events() if e.subject == "D-1"] == [
        "dependency.requested", "dependency.proposed", "dependency.agreed"]  # fmt: skip


def test_reject_sends_it_back(dep: Org) -> None:
    dep.run("ivy", c.DepPropose(1, when("2026-12-20")))
    r = dep.run("pete", c.DepReject(1, "Launch is fixed"))
    assert render(r.lines) == "D-1: 2026-12-20 rejected; requested again, needed by 2026-12-07."
    assert (dep.dep(1).state, dep.dep(1).proposed) == (DepState.REQUESTED, None)
    assert [o.act.value for o in r.notices[0].offers] == ["dep.accept", "dep.decline", "dep.propose"]


def test_negotiation_refusals_change_nothing(dep: Org) -> None:
    assert "Only a member of infra" in dep.refused("mia", c.DepPropose(1, when("fri")), PermissionDenied)
    assert "is in the past" in dep.refused("ivy", c.DepPropose(1, when("2026-11-01")), InvalidInput)
    assert "accept it instead" in dep.refused("ivy", c.DepPropose(1, when("2026-12-07")), InvalidInput)
    assert dep.refused("mia", c.DepAgree(1), Conflict) == "D-1 has no proposed date to answer (it is requested)."
    assert "reason" in dep.refused("mia", c.DepReject(1, " "), InvalidInput).lower()
    dep.run("ivy", c.DepPropose(1, when("2026-12-09")))
    assert "Only a member of payments" in dep.refused("ivy", c.DepAgree(1), PermissionDenied)
    assert "Only a member of payments" in dep.refused("ian", c.DepReject(1, "no"), PermissionDenied)
    assert "only an accepted dependency" in dep.refused("ivy", c.DepCommit(1, when("2026-12-20"), "x"), Conflict)
    dep.run("mia", c.DepAgree(1))
    assert "dep commit D-1" in dep.refused("ivy", c.DepPropose(1, when("2026-12-20")), Conflict)
    assert "Only a member of infra" in dep.refused("mia", c.DepCommit(1, when("2026-12-20"), "x"), PermissionDenied)
    assert "reason" in dep.refused("ivy", c.DepCommit(1, when("2026-12-20"), ""), InvalidInput).lower()
    assert "in the past" in dep.refused("ivy", c.DepCommit(1, when("2026-11-20"), "x"), InvalidInput)
    assert "already committed" in dep.refused("ivy", c.DepCommit(1, when("2026-12-09"), "x"), Conflict)


def test_commit_records_every_move_and_alerts_once_at_the_tick(dep: Org) -> None:
    dep.run("ivy", c.DepAccept(1))
    r = dep.run("ivy", c.DepCommit(1, when("2026-12-12"), "Vendor slipped"))
    assert render(r.lines) == ("D-1 re-planned later: committed 2026-12-07 → 2026-12-12 (needed by 2026-12-07: 5 days "
                               "late). payments has been told.")  # fmt: skip
    assert [(n.channel, n.person) for n in r.notices] == [("C-payments", None), (None, "mia")]
    [move] = dep.dep(1).replans
    assert (move.before, move.after, move.why, move.by) == (date(2026, 12, 7), date(2026, 12, 12), "Vendor slipped",
                                                            "ivy")  # fmt: skip
    shown = dep.say("mia", c.DepShow(1))
    assert "Re-plans (1):" in shown and "2026-12-07 → 2026-12-12 by @ivy: Vendor slipped" in shown
    sent = tick_at(dep, NOW + timedelta(minutes=5))
    assert [p for p, _ in sent] == ["alice", "pete"]  # the owners up the chain, each once
    text = dict(sent)["pete"]
    assert (
        "D-1 (payments → infra) “DB capacity” was re-planned to 2026-12-12 (needed by 2026-12-07; P-2 is due "
        "2026-12-10): “Vendor slipped”." in text
    )
    assert "It endangers P-2 (yours) → P-1." in text
    assert "`priority update P-2 --due <date>`" in text
    assert tick_at(dep, NOW + timedelta(minutes=10)) == []  # once
    # moving it earlier alerts nobody
    dep.run("ivy", c.DepCommit(1, when("2026-12-11"), "Found help"))
    assert tick_at(dep, NOW + timedelta(minutes=15)) == []


def test_a_change_undone_before_the_tick_alerts_nobody(dep: Org) -> None:
    dep.run("ivy", c.DepBlock(1, "Waiting on security"))
    dep.run("ivy", c.DepUnblock(1))
    assert tick_at(dep, NOW + timedelta(minutes=5)) == []
    dep.run("ivy", c.DepBlock(1, "Again"))  # a new change: alerted
    assert [p for p, _ in tick_at(dep, NOW + timedelta(minutes=10))] == ["alice", "pete"]


def test_overdue_is_noticed_by_the_tick_and_people_away_hear_when_back(dep: Org) -> None:
    dep.run("ivy", c.DepAccept(1))
    dep.run("pete", c.Away(when("2026-12-08"), when("2026-12-09")))
    assert tick_at(dep, datetime(2026, 12, 7, 23, 0, tzinfo=NOW.tzinfo)) == []  # the day itself is not over
    sent = tick_at(dep, datetime(2026, 12, 8, 0, 5, tzinfo=NOW.tzinfo))
    assert [p for p, _ in sent] == ["alice"]  # pete is away
    assert "is overdue: it was due 2026-12-07 and is not delivered." in sent[0][1]
    assert tick_at(dep, datetime(2026, 12, 9, 12, 0, tzinfo=NOW.tzinfo)) == []
    assert [p for p, _ in tick_at(dep, datetime(2026, 12, 10, 0, 5, tzinfo=NOW.tzinfo))] == ["pete"]
    # delivered: the requesting side, the owners served and everyone alerted hear it
    r = dep.run("ivy", c.DepDone(1), now=datetime(2026, 12, 10, 9, 0, tzinfo=NOW.tzinfo))
    assert [(n.channel, n.person) for n in r.notices] == [("C-payments", None), (None, "mia"), (None, "pete"),
                                                          (None, "alice")]  # fmt: skip


def test_owner_names_a_member_of_the_callers_side(dep: Org) -> None:
    r = dep.run("ian", c.DepOwner(1, "ivy"))
    assert render(r.lines) == "@ivy now owns D-1 for infra."
    assert dep.dep(1).provider_owner == "ivy"
    assert [n.person for n in r.notices] == ["ivy"]
    dep.run("pete", c.DepOwner(1, "pete"))
    assert dep.dep(1).requester_owner == "pete"
    assert "not in infra" in dep.refused("ivy", c.DepOwner(1, "mia"), InvalidInput)
    assert "Only members of payments or infra" in dep.refused("max", c.DepOwner(1, "mia"), PermissionDenied)
    assert "already owns" in dep.refused("ian", c.DepOwner(1, "ivy"), Conflict)
    dep.run("alice", c.DepOwner(1, "mia"))  # an admin names anyone of either side
    assert dep.dep(1).requester_owner == "mia"
    assert [e.data["side"] for e in dep.events("dependency.owner")] == ["provider", "requester", "requester"]


def test_blocker_resolve_tells_the_raiser_and_the_owners(dep: Org) -> None:
    dep.run("mia", c.BlockerAdd("Keys missing", on="D-1"))
    r = dep.run("ivy", c.BlockerResolve(1))
    assert sorted(n.person for n in r.notices if n.person) == ["mia"]
    dep.run("max", c.BlockerAdd("Refunds stuck", on="P-2", team="checkout"))
    r = dep.run("pete", c.BlockerResolve(2))
    assert sorted(n.person for n in r.notices if n.person) == ["max"]
    assert "B-2" in render(r.notices[0].lines)


def test_me_lists_a_waiting_proposal_once_and_my_slips(dep: Org) -> None:
    dep.run("ivy", c.DepPropose(1, when("2026-12-09")))
    mine = dep.run("mia", c.Me())
    assert [i.group for i in mine.items].count("proposals") == 1
    assert sum("D-1" in render([i.line]) for i in mine.items) == 1
    assert [o.act.value for o in mine.offers] == ["dep.agree", "dep.reject"]
    dep.run("mia", c.DepReject(1, "No"))
    dep.run("ivy", c.DepBlock(1, "Stuck"))
    tick_at(dep, NOW + timedelta(minutes=5))
    me = dep.run("pete", c.Me())
    assert [i.group for i in me.items if i.group == "slips"] == ["slips"]
    assert "D-1 is blocked: it endangers P-2 (yours) → P-1" in render(me.lines)


def test_one_message_per_person_per_change(dep: Org) -> None:
    """pete leads payments and owns P-2: the decline tells him in person, so no slip alert repeats it."""
    r = dep.run("ivy", c.DepDecline(1, "No capacity"))
    assert "pete" in [n.person for n in r.notices]
    assert [p for p, _ in tick_at(dep, NOW + timedelta(minutes=5))] == ["alice"]


def test_a_scheduler_whose_clock_runs_behind_neither_drops_nor_rushes_an_alert(dep: Org) -> None:
    """Scheduler processes' clocks differ a little: one that lags behind the process that noticed an
    overdue crossing must not drop it as not yet overdue, nor send it to someone away when noticed."""
    dep.run("ivy", c.DepAccept(1))
    dep.run("pete", c.Away(when("2026-12-08"), when("2026-12-09")))
    assert [p for p, _ in tick_at(dep, datetime(2026, 12, 8, 0, 5, tzinfo=NOW.tzinfo))] == ["alice"]
    assert tick_at(dep, datetime(2026, 12, 7, 23, 55, tzinfo=NOW.tzinfo)) == []  # the lagging one
    assert {a.person: a.state for a in dep.state.slips.values()} == {"alice": "sent", "pete": "pending"}
    assert [p for p, _ in tick_at(dep, datetime(2026, 12, 10, 0, 5, tzinfo=NOW.tzinfo))] == ["pete"]
