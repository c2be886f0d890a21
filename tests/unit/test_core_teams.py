"""`team create|add|remove|show|list`: the team-of-teams tree and who may shape it."""

from __future__ import annotations

from core import commands as c
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from tests.unit.conftest import NOW, Org


def test_admin_creates_a_team_bound_to_the_current_channel(org: Org) -> None:
    text = org.say("alice", c.TeamCreate("payments", "Payments"), channel="C1")
    assert text == "Team payments created. Home channel: #C1."
    assert org.last is not None and org.last.public
    assert org.last.data == {
        "handle": "payments", "name": "Payments", "parent": None, "leads": [], "members": [], "channel": "C1",
        "archived": False,
    }  # fmt: skip
    t = org.team("payments")
    assert (t.name, t.parent, t.channel) == ("Payments", None, "C1")
    [event] = org.events("team.created")
    assert (event.actor, event.subject, event.at) == ("alice", "payments", NOW)
    assert event.data == {"name": "Payments", "parent": None, "channel": "C1"}


def test_create_under_a_parent_without_a_channel(org: Org) -> None:
    org.say("alice", c.TeamCreate("product", "Product"))
    assert org.say("alice", c.TeamCreate("payments", "Payments", parent="product")) == (
        "Team payments created under product."
    )
    assert org.team("payments").parent == "product"
    assert org.team("payments").channel is None


def test_create_refusals(org: Org) -> None:
    org.say("alice", c.TeamCreate("payments", "Payments"), channel="C1")
    org.refused("bob", c.TeamCreate("checkout", "Checkout"), PermissionDenied)
    org.refused("alice", c.TeamCreate("payments", "Again"), Conflict)
    org.refused("alice", c.TeamCreate("checkout", "Checkout", parent="nope"), NotFound)
    message = org.refused("alice", c.TeamCreate("checkout", "Checkout"), Conflict, channel="C1")
    assert "payments" in message
    org.refused("alice", c.TeamCreate("checkout", "   "), InvalidInput)
    assert set(org.state.teams) == {"payments"}


def test_admin_adds_members_and_leads(org: Org) -> None:
    org.say("alice", c.TeamCreate("payments", "Payments"))
    assert org.say("alice", c.TeamAdd("payments", ("bob", "carol"))) == "Added to payments as member: @bob, @carol."
    assert org.say("alice", c.TeamAdd("payments", ("dave",), lead=True)) == "Added to payments as lead: @dave."
    t = org.team("payments")
    assert t.members == ["bob", "carol", "dave"]
    assert t.leads == ["dave"]
    assert org.last is not None and org.last.data["leads"] == ["dave"]
    added = [(e.actor, e.data["person"], e.data["lead"]) for e in org.events("team.member_added")]
    assert added == [("alice", "bob", False), ("alice", "carol", False), ("alice", "dave", True)]


def test_a_member_can_be_promoted_to_lead(org: Org) -> None:
    org.say("alice", c.TeamCreate("payments", "Payments"))
    org.say("alice", c.TeamAdd("payments", ("bob",)))
    org.say("alice", c.TeamAdd("payments", ("bob",), lead=True))
    assert org.team("payments").members == ["bob"]
    assert org.team("payments").leads == ["bob"]


def test_adding_nobody_new_is_a_conflict(acme: Org) -> None:
    acme.refused("alice", c.TeamAdd("payments", ("mia",)), Conflict)
    acme.refused("alice", c.TeamAdd("payments", ("pete", "mia")), Conflict)
    acme.refused("alice", c.TeamAdd("payments", ("pete",), lead=True), Conflict)


def test_add_refuses_unknown_people_and_teams(acme: Org) -> None:
    acme.refused("alice", c.TeamAdd("payments", ("mia", "ghost")), NotFound, people=["mia"])
    acme.refused("alice", c.TeamAdd("nope", ("bob",)), NotFound)


def test_who_may_add_people(acme: Org) -> None:
    acme.say("pete", c.TeamAdd("payments", ("bob",)))  # lead of the team
    acme.say("paula", c.TeamAdd("payments", ("bea",)))  # lead of the parent team
    assert acme.team("payments").members == ["pete", "mia", "bob", "bea"]
    acme.refused("mia", c.TeamAdd("payments", ("carl",)), PermissionDenied)  # plain member
    acme.refused("cleo", c.TeamAdd("payments", ("carl",)), PermissionDenied)  # lead of a sibling
    acme.refused("pete", c.TeamAdd("product", ("carl",)), PermissionDenied)  # lead of a child
    acme.refused("ian", c.TeamAdd("payments", ("carl",), lead=True), PermissionDenied)  # lead elsewhere


def test_remove(acme: Org) -> None:
    assert acme.say("pete", c.TeamRemove("payments", "mia")) == "@mia is no longer in payments."
    assert acme.team("payments").members == ["pete"]
    acme.say("paula", c.TeamRemove("payments", "pete"))  # removing a lead drops the lead role too
    assert acme.team("payments").leads == []
    assert acme.team("payments").members == []
    removed = [(e.actor, e.data["person"]) for e in acme.events("team.member_removed")]
    assert removed == [("pete", "mia"), ("paula", "pete")]


def test_remove_refusals(acme: Org) -> None:
    acme.refused("mia", c.TeamRemove("payments", "pete"), PermissionDenied)
    acme.refused("cleo", c.TeamRemove("payments", "mia"), PermissionDenied)
    acme.refused("alice", c.TeamRemove("payments", "max"), InvalidInput)  # not in that team
    acme.refused("alice", c.TeamRemove("nope", "max"), NotFound)


def test_show_a_named_team(acme: Org) -> None:
    text = acme.say("bob", c.TeamShow("payments"))
    assert text.splitlines() == [
        "product › payments — Payments",
        "Leads: @pete",
        "Members: @pete, @mia",
        "Home channel: #C-payments",
        "Child teams: none",
        "Open priorities: 0",
        "Commitment reliability (90 days): no accepted dependencies due yet",
    ]
    data = acme.data("bob", c.TeamShow("product"))
    assert data["children"] == ["checkout", "payments"]
    assert data["leads"] == ["paula"]
    assert acme.last is not None and not acme.last.public


def test_show_defaults_to_my_only_team(acme: Org) -> None:
    assert acme.data("mia", c.TeamShow())["handle"] == "payments"


def test_show_without_a_team_is_refused_when_ambiguous_or_teamless(acme: Org) -> None:
    acme.say("alice", c.TeamAdd("infra", ("mia",)))
    message = acme.refused("mia", c.TeamShow(), NotFound)
    assert "several teams" in message and "infra" in message and "payments" in message
    message = acme.refused("bob", c.TeamShow(), NotFound)
    assert "no team" in message
    acme.refused("bob", c.TeamShow("nope"), NotFound)


def test_list_is_the_tree_in_order(acme: Org) -> None:
    acme.say("alice", c.TeamCreate("apps", "Apps", parent="checkout"))
    text = acme.say("bob", c.TeamList())
    assert text.splitlines() == [
        "5 teams:",
        "infra — Infrastructure · leads @ian · 2 members",
        "product — Product · leads @paula · 1 member",
        "  checkout — Checkout · leads @cleo · 2 members",
        "    apps — Apps · 0 members",
        "  payments — Payments · leads @pete · 2 members",
    ]
    assert [t["handle"] for t in acme.last.data] == ["apps", "checkout", "infra", "payments", "product"]  # type: ignore[union-attr]


def test_list_when_there_are_no_teams(org: Org) -> None:
    assert "No teams yet" in org.say("alice", c.TeamList())
    assert org.last is not None and org.last.data == []
