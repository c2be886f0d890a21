"""People and admins: first speaker is admin, `admin add|remove`, `me`, workspace isolation."""

from __future__ import annotations

from core import commands as c
from core.context import Context, PersonInfo
from core.errors import Conflict, NotFound, PermissionDenied
from core.fakes import FakeStore
from core.service import execute, meet
from tests.unit.conftest import NOW, Org, when


def test_first_speaker_becomes_admin_and_later_ones_do_not(org: Org) -> None:
    org.say("alice", c.TeamList())
    org.say("bob", c.TeamList())
    assert org.person("alice").admin is True
    assert org.person("bob").admin is False
    [event] = org.events("admin.added")
    assert (event.actor, event.subject, event.at) == ("alice", "alice", NOW)


def test_mentioned_people_are_created_on_first_sight_but_are_not_admins(org: Org) -> None:
    org.run("alice", c.TeamList(), people=["bob", "carol"])
    assert {h: p.admin for h, p in org.state.people.items()} == {"alice": True, "bob": False, "carol": False}
    assert org.person("bob").name == "Bob"


def test_admin_add_makes_a_known_person_admin(org: Org) -> None:
    org.say("alice", c.TeamList())
    assert org.say("alice", c.AdminAdd("bob")) == "@bob is now an admin."
    assert org.person("bob").admin is True
    assert org.last is not None and org.last.public
    assert [(e.actor, e.subject) for e in org.events("admin.added")][-1] == ("alice", "bob")


def test_admin_add_refusals(org: Org) -> None:
    org.say("alice", c.TeamList())
    org.refused("bob", c.AdminAdd("carol"), PermissionDenied)
    org.refused("alice", c.AdminAdd("alice"), Conflict)
    org.refused("alice", c.AdminAdd("ghost"), NotFound, people=[])
    assert set(org.state.people) == {"alice"}  # not even the mentioned people were kept


def test_admin_remove(org: Org) -> None:
    org.say("alice", c.TeamList())
    org.say("alice", c.AdminAdd("bob"))
    assert org.say("bob", c.AdminRemove("alice")) == "@alice is no longer an admin."
    assert not org.person("alice").admin
    assert org.events("admin.removed")[-1].actor == "bob"


def test_admin_remove_refusals(org: Org) -> None:
    org.say("alice", c.TeamList())
    org.say("bob", c.TeamList())
    org.refused("bob", c.AdminRemove("alice"), PermissionDenied)
    org.refused("alice", c.AdminRemove("bob"), Conflict)  # not an admin
    message = org.refused("alice", c.AdminRemove("alice"), Conflict)
    assert "last admin" in message
    assert org.person("alice").admin


def test_me_lists_my_teams_priorities_dependencies_and_blockers(acme: Org) -> None:
    acme.run("pete", c.PriorityAdd("Ship refunds", owner="mia"))
    acme.run("mia", c.DepRequest("infra", "More DB capacity", by=when("+2w")))
    acme.run("mia", c.BlockerAdd("Waiting for legal"))
    data = acme.data("mia", c.Me())
    assert data["teams"] == ["payments"]
    assert [p["id"] for p in data["priorities"]] == ["P-1"]
    assert [d["id"] for d in data["dependencies"]] == ["D-1"]
    assert [b["id"] for b in data["blockers"]] == ["B-1"]
    text = acme.say("mia", c.Me())
    assert "Your teams: payments" in text
    assert "P-1 Ship refunds [payments] on-track" in text


def test_workspaces_never_see_each_other(store: FakeStore) -> None:
    a, b = Org(store, "a"), Org(store, "b")
    a.run("alice", c.TeamCreate("payments", "Payments"))
    a.run("alice", c.PriorityAdd("Org goal"))
    b.run("zed", c.TeamList())
    assert b.person("zed").admin  # first speaker of b, although a already has people
    assert b.data("zed", c.TeamList()) == []
    assert b.data("zed", c.PriorityList()) == []
    assert set(b.state.people) == {"zed"}
    assert set(a.state.people) == {"alice"}
    b.refused("zed", c.TeamShow("payments"), NotFound)
    b.refused("zed", c.PriorityShow(1), NotFound)
    # the same handle may exist in both, independently
    b.run("zed", c.TeamCreate("payments", "Payments B"))
    assert a.team("payments").name == "Payments"
    assert b.team("payments").name == "Payments B"


def test_the_first_speaker_rule_is_not_slacks() -> None:
    """SPEC: in the console and `run` (and Teams, where the installer is the first seen) the first
    person to speak is admin; Slack names its admins itself (workspace admins, the installer)."""
    from core.context import Context, PersonInfo
    from core.service import execute

    for platform, admin in ((None, True), ("teams", True), ("slack", False)):
        store = FakeStore()
        ctx = Context(actor=PersonInfo("U1", "ada"), now=NOW, platform=platform)
        execute(store, "acme", ctx, c.Away(when("+1w"), when("+2w")))  # a write: it creates the workspace
        with store("acme") as uow:
            person = uow.people.get("U1")
        assert person is not None and person.admin is admin, platform


# --- names and time zones the platform reports (core.service.ensure_people) ---------------------------


def _as(org: Org, info: PersonInfo, *, platform: str | None = "teams") -> None:
    execute(org.store, org.workspace, Context(actor=info, now=NOW, platform=platform), c.TeamList())


def test_a_placeholder_name_and_zone_give_way_to_real_ones(org: Org) -> None:
    aad = "7faf8ab2-3d56-4244-b585-20c8a42ed2b8"
    meet(org.store, org.workspace, Context(actor=PersonInfo(aad, aad), now=NOW))  # an install: no name
    assert (org.person(aad).name, org.person(aad).tz) == (aad, None)  # nobody said where they are
    _as(org, PersonInfo(aad, "Megan Bowen", "America/Los_Angeles", name_known=True, tz_known=True))
    assert (org.person(aad).name, org.person(aad).tz) == ("Megan Bowen", "America/Los_Angeles")
    _as(org, PersonInfo(aad, "Megan B.", "Europe/Lisbon", name_known=True, tz_known=True))  # renamed, travelled
    assert (org.person(aad).name, org.person(aad).tz) == ("Megan B.", "Europe/Lisbon")


def test_names_and_zones_nobody_vouches_for_change_nothing(org: Org) -> None:
    org.run("alice", c.TeamList())
    _as(org, PersonInfo("alice", "A. (mention text)", "Asia/Tokyo"))  # not known: a mention, the console
    _as(org, PersonInfo("alice", "  ", "Not/A_Zone", name_known=True, tz_known=True))  # empty name, bad zone
    assert (org.person("alice").name, org.person("alice").tz) == ("Alice", None)


def test_a_new_person_with_an_unknown_zone_has_none(org: Org) -> None:
    _as(org, PersonInfo("dana", "Dana", "Not/A_Zone", name_known=True, tz_known=True))
    assert org.person("dana").tz is None


def test_a_zone_chosen_with_me_tz_stays_when_the_platform_reports_another(org: Org) -> None:
    aad = "7faf8ab2-3d56-4244-b585-20c8a42ed2b8"
    _as(org, PersonInfo(aad, "Megan Bowen", "America/Los_Angeles", name_known=True, tz_known=True))
    execute(org.store, org.workspace, Context(actor=PersonInfo(aad, "Megan Bowen"), now=NOW, platform="teams"),
            c.MeTz("Asia/Tokyo"))  # fmt: skip
    _as(org, PersonInfo(aad, "Megan Bowen", "Europe/Lisbon", name_known=True, tz_known=True))
    assert (org.person(aad).tz, org.person(aad).tz_pinned) == ("Asia/Tokyo", True)


# --- admins: the installer first, else the first speaker (SPEC, Security) ---------------------------


def test_the_installer_is_admin_and_a_later_first_speaker_is_not(org: Org) -> None:
    assert meet(org.store, org.workspace, Context(actor=PersonInfo("ivan", "Ivan"), now=NOW), installed="installed")
    _as(org, PersonInfo("alice", "Alice"))
    assert org.person("ivan").admin and not org.person("alice").admin
    [event] = org.events("admin.added")
    assert (event.subject, event.data["reason"]) == ("ivan", "installed")
    # a second install, elsewhere in the tenant, makes nobody admin
    assert not meet(org.store, org.workspace, Context(actor=PersonInfo("alice", "Alice"), now=NOW), installed="x")
    assert not org.person("alice").admin


def test_people_met_without_an_install_are_not_admins_until_one_speaks(org: Org) -> None:
    meet(org.store, org.workspace, Context(actor=PersonInfo("carol", "Carol"), now=NOW,
                                           people=(PersonInfo("bob", "Bob"),)))  # fmt: skip
    assert not org.person("carol").admin and not org.person("bob").admin
    _as(org, PersonInfo("bob", "Bob"))
    assert org.person("bob").admin and not org.person("carol").admin


def test_slack_names_its_own_admins(org: Org) -> None:
    _as(org, PersonInfo("U1", "Ula"), platform="slack")
    assert not org.person("U1").admin
