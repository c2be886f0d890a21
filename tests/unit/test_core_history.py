"""`history`, the audit trail behind it, and the per-workspace ids."""

from __future__ import annotations

from datetime import timedelta

from core import commands as c
from core.errors import InvalidInput, NotFound, PermissionDenied
from core.fakes import FakeStore
from core.model import Status
from tests.unit.conftest import NOW, Org, when


def test_every_change_is_an_event_with_actor_and_time(acme: Org) -> None:
    t1, t2 = NOW + timedelta(hours=1), NOW + timedelta(days=1)
    acme.run("pete", c.PriorityAdd("Ship refunds", owner="mia"), now=t1)
    acme.run("mia", c.PriorityUpdate(1, status=Status.AT_RISK, note="Bank late"), now=t2)
    events = acme.events()
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert [(e.kind, e.actor, e.at) for e in events[-2:]] == [
        ("priority.created", "pete", t1),
        ("priority.updated", "mia", t2),
    ]
    data = acme.data("bob", c.History())
    assert data[-1] == {
        "at": t2.isoformat(), "actor": "mia", "kind": "priority.updated", "subject": "P-1",
        "data": {"before": {"status": "on-track"}, "after": {"status": "at-risk"}, "note": "Bank late"},
    }  # fmt: skip
    text = acme.say("bob", c.History())
    assert text.splitlines()[-1] == "Tue 2026-11-24 09:00 @mia updated P-1: status on-track → at-risk — “Bank late”"


def test_reads_record_nothing(acme: Org) -> None:
    before = acme.state
    for cmd in (c.TeamList(), c.TeamShow("payments"), c.PriorityList(), c.DepList(), c.BlockerList(), c.History()):
        acme.run("ivy", cmd)
    assert acme.state == before


def test_history_filtered_by_team(acme: Org) -> None:
    acme.run("pete", c.PriorityAdd("Ship refunds"))  # P-1 payments
    acme.run("cleo", c.PriorityAdd("Checkout revamp"))  # P-2 checkout
    acme.run("max", c.DepRequest("infra", "Cache", by=when("fri")))  # D-1 checkout → infra
    acme.run("ivy", c.DepAccept(1))
    acme.run("bob", c.BlockerAdd("On payments", on="payments"))  # B-1
    acme.run("bob", c.BlockerAdd("On P-1", on="P-1"))  # B-2 (only reachable through the priority)

    def subjects(team: str) -> list[str]:
        return [e["subject"] for e in acme.data("bob", c.History(team=team)) if e["kind"] != "team.member_added"]

    assert subjects("payments") == ["payments", "P-1", "B-1", "B-2"]
    assert subjects("infra") == ["infra", "D-1", "D-1"]
    assert subjects("checkout") == ["checkout", "P-2", "D-1", "D-1"]
    # my only team is the default scope
    assert [e["subject"] for e in acme.data("ivy", c.History())][-2:] == ["D-1", "D-1"]
    assert acme.say("bob", c.History(team="infra")).startswith("5 changes in infra:")  # created, 2 added, D-1 x2
    acme.refused("bob", c.History(team="nope"), NotFound)


def test_history_since(org: Org) -> None:
    org.run("alice", c.PriorityAdd("Old"), now=NOW - timedelta(days=10))
    org.run("alice", c.PriorityAdd("Newer"), now=NOW - timedelta(days=2))
    org.run("alice", c.PriorityAdd("Today"), now=NOW)
    data = org.data("bob", c.History(since=when("2026-11-21")))
    assert [e["subject"] for e in data] == ["P-2", "P-3"]
    assert org.data("bob", c.History(since=when("today"))) == data[1:]
    text = org.say("bob", c.History(since=when("2026-11-21")))
    assert text.splitlines()[0] == "2 changes in the whole organisation since 2026-11-21:"
    assert len(org.data("bob", c.History())) == 4  # alice made admin, and three priorities


def test_history_since_a_weekday_means_the_last_one(org: Org) -> None:
    org.run("alice", c.PriorityAdd("Thursday"), now=NOW - timedelta(days=4))
    org.run("alice", c.PriorityAdd("Friday"), now=NOW - timedelta(days=3))
    org.run("alice", c.PriorityAdd("Monday"), now=NOW)
    assert [e["subject"] for e in org.data("bob", c.History(since=when("fri")))] == ["P-2", "P-3"]
    assert [e["subject"] for e in org.data("bob", c.History(since=when("mon")))] == ["P-3"]  # today is Monday


def test_history_since_is_midnight_in_the_workspace_time_zone() -> None:
    o = Org(FakeStore(tz="Pacific/Auckland"))  # UTC+13 in November: 2026-11-23 starts at 11:00Z on the 22nd
    o.run("alice", c.PriorityAdd("Before midnight"), now=NOW - timedelta(hours=23))  # 10:00Z on the 22nd
    o.run("alice", c.PriorityAdd("After midnight"), now=NOW - timedelta(hours=21))  # 12:00Z on the 22nd
    assert [e["subject"] for e in o.data("alice", c.History(since=when("today")))] == ["P-2"]


# -- ids --------------------------------------------------------------------------------------


def test_ids_are_sequential_per_kind(acme: Org) -> None:
    for title in ("A", "B", "C"):
        acme.run("pete", c.PriorityAdd(title))
    acme.run("mia", c.DepRequest("infra", "x", by=when("fri")))
    acme.run("mia", c.BlockerAdd("y"))
    assert sorted(acme.state.priorities) == [1, 2, 3]
    assert sorted(acme.state.dependencies) == [1]
    assert sorted(acme.state.blockers) == [1]
    assert [acme.priority(n).id for n in (1, 2, 3)] == ["P-1", "P-2", "P-3"]


def test_two_workspaces_both_start_at_1(store: FakeStore) -> None:
    a, b = Org(store, "a"), Org(store, "b")
    a.run("alice", c.PriorityAdd("A1"))
    a.run("alice", c.PriorityAdd("A2"))
    b.run("zed", c.PriorityAdd("B1"))
    assert a.last is not None and b.last is not None
    assert b.last.data["id"] == "P-1"
    assert sorted(a.state.priorities) == [1, 2]
    assert sorted(b.state.priorities) == [1]
    assert a.priority(1).title == "A1" and b.priority(1).title == "B1"


def test_a_refused_command_does_not_consume_an_id(acme: Org) -> None:
    acme.run("pete", c.PriorityAdd("First"))
    acme.refused("pete", c.PriorityAdd("Past", due=when("2026-01-01")), InvalidInput)
    acme.refused("mia", c.PriorityAdd("Not a lead"), PermissionDenied)
    acme.refused("mia", c.DepRequest("infra", "x", by=when("2026-01-01")), InvalidInput)
    acme.refused("pete", c.PriorityAdd("Unknown parent", parent=99), NotFound)
    acme.refused("pete", c.PriorityAdd("Own team's parent", parent=1), InvalidInput)
    acme.refused("mia", c.BlockerAdd("On nothing", on="D-9"), NotFound)
    assert acme.data("pete", c.PriorityAdd("Second"))["id"] == "P-2"
    assert acme.data("mia", c.DepRequest("infra", "x", by=when("fri")))["id"] == "D-1"
    assert acme.data("mia", c.BlockerAdd("Stuck"))["id"] == "B-1"
