"""Issue 17 on the fakes: team edits, `back`, `me tz`, the new refusals, dates, and workspaces that
reads and refusals never create."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from core import commands as c
from core.context import Context, PersonInfo
from core.dates import DateSpec, resolve
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Refused
from core.fakes import FakeStore
from core.model import Status
from core.service import execute
from tests.unit.conftest import NOW, Org, when

# --- team rename, demote, move, archive, unarchive ------------------------------------------------


def test_rename_changes_the_name_not_the_handle(acme: Org) -> None:
    assert acme.say("pete", c.TeamRename("payments", "Payments & Cards")) == (
        "payments is now called Payments & Cards (was Payments)."
    )
    assert acme.team("payments").name == "Payments & Cards"
    [e] = acme.events("team.renamed")
    assert e.data == {"before": "Payments", "after": "Payments & Cards"}
    acme.refused("mia", c.TeamRename("payments", "X"), PermissionDenied)
    acme.refused("paula", c.TeamRename("payments", "Payments & Cards"), Conflict)  # lead of the parent: allowed
    acme.refused("pete", c.TeamRename("payments", "a\u202eb"), InvalidInput)


def test_demote_makes_a_lead_a_member_and_refuses_anyone_else(acme: Org) -> None:
    assert acme.say("paula", c.TeamDemote("payments", "pete")).startswith("@pete is now a member of payments")
    t = acme.team("payments")
    assert (t.leads, t.members) == ([], ["pete", "mia"])
    assert "not a lead of payments" in acme.refused("alice", c.TeamDemote("payments", "mia"), Conflict)
    acme.refused("mia", c.TeamDemote("checkout", "cleo"), PermissionDenied)


def test_move_keeps_the_tree_a_tree(acme: Org) -> None:
    acme.refused("paula", c.TeamMove("payments", "infra"), PermissionDenied)
    assert "own descendant" in acme.refused("alice", c.TeamMove("product", "payments"), InvalidInput)
    assert "its own parent" in acme.refused("alice", c.TeamMove("product", "product"), InvalidInput)
    acme.refused("alice", c.TeamMove("payments", "nowhere"), NotFound)
    assert acme.say("alice", c.TeamMove("payments", "infra")) == "payments moved under infra (was under product)."
    assert acme.say("alice", c.TeamMove("payments", None)) == "payments moved to the top of the tree (was under infra)."
    assert acme.team("payments").parent is None
    assert [e.data for e in acme.events("team.moved")] == [
        {"before": "product", "after": "infra"}, {"before": "infra", "after": None},
    ]  # fmt: skip
    acme.refused("alice", c.TeamMove("payments", None), Conflict)


def test_archive_names_what_is_still_open_and_archived_teams_take_no_work(acme: Org) -> None:
    acme.run("alice", c.PriorityAdd("Checkout", team="checkout"))
    acme.run("max", c.DepRequest("infra", "Keys", by=when("+1w"), team="checkout"))
    said = acme.refused("alice", c.TeamArchive("product"), Conflict)
    assert said == "product still has child teams checkout, payments (archive or move them first)."
    assert acme.refused("alice", c.TeamArchive("checkout"), Conflict) == (
        "checkout still has open priorities P-1; open dependencies D-1."
    )
    acme.refused("cleo", c.TeamArchive("payments"), PermissionDenied)
    acme.run("alice", c.TeamArchive("payments"))
    assert acme.team("payments").archived
    assert "payments" not in acme.say("alice", c.TeamList()).split("Archived")[0]
    for cmd in (c.TeamAdd("payments", ("bob",)), c.PriorityAdd("x", team="payments"),
                c.DepRequest("payments", "x", by=when("+1w"), team="infra"),
                c.RhythmSetStandup(team="payments", days=(0,), at=time(9, 0)), c.TeamRename("payments", "P"),
                c.TeamCreate("sub", "Sub", parent="payments"), c.TeamMove("infra", "payments")):  # fmt: skip
        assert "is archived" in acme.refused("alice", cmd, Conflict), cmd
    assert "is archived" in acme.refused("pete", c.BlockerAdd("x", team="payments"), Conflict)
    assert acme.say("pete", c.BlockerAdd("x")).startswith("B-1 raised: ")  # his only team is archived


def test_unarchive_waits_for_an_archived_parent(acme: Org) -> None:
    acme.run("alice", c.TeamArchive("payments"))
    acme.run("alice", c.TeamArchive("checkout"))
    acme.run("alice", c.TeamArchive("product"))
    assert "parent product is archived" in acme.refused("alice", c.TeamUnarchive("payments"), Conflict)
    acme.run("alice", c.TeamUnarchive("product"))
    acme.run("alice", c.TeamUnarchive("payments"))
    assert not acme.team("payments").archived
    acme.refused("alice", c.TeamUnarchive("payments"), Conflict)


# --- me tz, back, and the refusals that used to be silence ----------------------------------------


def test_me_tz_pins_the_zone_and_refuses_unknown_ones(org: Org) -> None:
    assert "don't know your time zone" in org.say("ada", c.MeTz())
    assert org.say("ada", c.MeTz("asia/tokyo")).startswith("Your time zone is now Asia/Tokyo (it is Mon 18:00 there).")
    p = org.person("ada")
    assert (p.tz, p.tz_pinned) == ("Asia/Tokyo", True)
    assert [e.data for e in org.events("person.tz")] == [{"before": None, "after": "Asia/Tokyo"}]
    org.refused("ada", c.MeTz("Asia/Tokyo"), Conflict)
    org.refused("ada", c.MeTz("Mars/Base"), InvalidInput)


def test_a_platform_zone_that_no_zone_database_knows_is_not_kept(store: FakeStore) -> None:
    ctx = Context(actor=PersonInfo("U1", "A\u202e\x00da", tz="Mars/Base"), now=NOW)
    execute(store, "acme", ctx, c.MeTz("UTC"))
    ctx = Context(actor=PersonInfo("U2", "Bo", tz="europe/berlin"), now=NOW)
    execute(store, "acme", ctx, c.Away(when("+1w"), when("+2w")))
    people = store.state("acme").people
    assert (people["U1"].name, people["U2"].tz) == ("Ada", "Europe/Berlin")


def test_back_ends_the_current_absence_or_cancels_the_next_one(acme: Org) -> None:
    assert acme.refused("mia", c.Back(), Conflict) == "You are not away, and no time away is planned."
    acme.run("mia", c.Away(when("2026-12-01"), when("2026-12-03")))
    acme.run("mia", c.Away(when("2026-12-20"), when("2026-12-31")))
    said = acme.say("mia", c.Back())
    assert said.startswith("You were not away today, so I cancelled your next time away (2026-12-01 to 2026-12-03)")
    assert said.endswith("Still planned: 2026-12-20 to 2026-12-31.")
    assert [(a.start, a.end) for a in acme.state.aways["mia"]] == [(date(2026, 12, 20), date(2026, 12, 31))]
    acme.run("mia", c.Away(when("today"), when("+2d")))
    assert acme.say("mia", c.Back()).startswith("Welcome back")
    assert [(a.start, a.end) for a in acme.state.aways["mia"]] == [(date(2026, 12, 20), date(2026, 12, 31))]


def test_blocker_add_needs_a_team_from_someone_in_several(acme: Org) -> None:
    acme.run("alice", c.TeamAdd("infra", ("mia",)))
    said = acme.refused("mia", c.BlockerAdd("two teams"), NotFound)
    assert said == "You are in several teams (infra, payments): say which one the blocker is for with --team."
    assert acme.say("mia", c.BlockerAdd("two teams", team="infra")) == "B-1 raised for infra: two teams"
    assert acme.say("max", c.BlockerAdd("one team")) == "B-2 raised for checkout: one team"
    assert acme.say("alice", c.BlockerAdd("no team")) == "B-3 raised: no team"


def test_the_providers_owner_is_one_of_its_members(acme: Org) -> None:
    acme.run("max", c.DepRequest("infra", "Keys", by=when("+1w"), team="checkout"))
    said = acme.refused("ivy", c.DepAccept(1, owner="max", commit=when("+2w")), InvalidInput)
    assert said.startswith("Max is not in infra: the owner on the providing side must be one of its members")
    acme.run("ivy", c.DepAccept(1, owner="ian", commit=when("+2w")))
    assert acme.dep(1).provider_owner == "ian"


def test_reopening_a_done_priority_says_how_far_along_it_is(acme: Org) -> None:
    acme.run("pete", c.PriorityAdd("Checkout", team="payments"))
    acme.run("pete", c.PriorityUpdate(1, status=Status.DONE))
    said = acme.refused("pete", c.PriorityUpdate(1, status=Status.ON_TRACK), InvalidInput)
    assert "was done at 100%" in said and "--progress 80" in said
    acme.run("pete", c.PriorityUpdate(1, status=Status.AT_RISK, progress=70))
    assert (acme.priority(1).status, acme.priority(1).progress) == (Status.AT_RISK, 70)


# --- workspaces -----------------------------------------------------------------------------------


def test_reads_and_refusals_never_create_a_workspace(store: FakeStore) -> None:
    ctx = Context(actor=PersonInfo("ada", "Ada"), now=NOW)
    for cmd in (c.Me(), c.TeamList(), c.Risks(), c.Summary(), c.MeTz(), c.RisksThresholds()):
        execute(store, "fresh", ctx, cmd)
    for refused in (c.Standup(), c.TeamCreate("payments", "   "), c.PriorityUpdate(1, confidence=5)):
        with pytest.raises(Refused):
            execute(store, "fresh", ctx, refused)
    assert "fresh" not in store.states
    execute(store, "fresh", ctx, c.TeamCreate("payments", "Payments"))
    assert store.states["fresh"].people["ada"].admin  # the first to change something


def test_a_new_workspace_needs_a_usable_name(store: FakeStore) -> None:
    ctx = Context(actor=PersonInfo("ada", "Ada"), now=NOW)
    for name in ("", "a" * 101, "two words", "<!here>"):
        with pytest.raises(InvalidInput):
            execute(store, name, ctx, c.TeamCreate("payments", "Payments"))
    assert store.states == {}


def test_no_instant_outside_the_kept_years_reaches_the_core(store: FakeStore) -> None:
    for now in (datetime(1969, 12, 31, tzinfo=UTC), datetime(9999, 12, 31, 23, 30, tzinfo=UTC)):
        with pytest.raises(InvalidInput, match="outside the times I keep"):
            execute(store, "acme", Context(actor=PersonInfo("ada", "Ada"), now=now), c.Me())


# --- dates ------------------------------------------------------------------------------------------

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("next fri", date(2026, 11, 27)), ("fri", date(2026, 11, 27)), ("next monday", date(2026, 11, 30)),
        ("dec 5", date(2026, 12, 5)), ("5 dec", date(2026, 12, 5)), ("December 5th", date(2026, 12, 5)),
        ("nov 23", MONDAY), ("nov 22", date(2027, 11, 22)), ("feb 29", date(2028, 2, 29)),
        ("+3d", date(2026, 11, 26)), ("+2w", date(2026, 12, 7)), ("2031-01-01", date(2031, 1, 1)),
    ],
)  # fmt: skip
def test_dates_people_type(text: str, expected: date) -> None:
    assert resolve(text, MONDAY) == expected


def test_a_month_and_day_in_the_past_means_the_last_one_for_since() -> None:
    assert DateSpec("nov 22").resolve_past(MONDAY) == date(2026, 11, 22)
    assert DateSpec("dec 5").resolve_past(MONDAY) == date(2025, 12, 5)


@pytest.mark.parametrize(
    ("text", "today", "says"),
    [
        ("12/05", MONDAY, "read two ways"), ("+262w", MONDAY, "more than 5 years away"),
        ("-9999d", MONDAY, "more than 5 years away"), ("feb 30", MONDAY, "not a real date"),
        ("tomorrow", date(2999, 12, 31), "outside the dates I keep"), ("1969-07-20", MONDAY, "outside the dates"),
        ("yesterday", date(1970, 1, 1), "outside the dates I keep"), ("dec 5", date(2999, 12, 6), "outside"),
    ],
)  # fmt: skip
def test_dates_that_cannot_be_kept_are_refused(text: str, today: date, says: str) -> None:
    with pytest.raises(InvalidInput, match=says):
        resolve(text, today)


def test_an_archived_team_leaves_the_rhythm_and_its_old_check_ins_raise_no_risk(acme: Org, store: FakeStore) -> None:
    from datetime import timedelta

    from core.scheduling import tick

    acme.run("pete", c.RhythmSetStandup(days=(0, 1, 2, 3, 4), at=time(9, 30), tz="UTC"))
    tick(store, "acme", NOW, NOW + timedelta(days=14))  # two weeks of stand-ups nobody answers
    later = NOW + timedelta(days=14)
    kinds = {(r["kind"], r["subject"]) for r in acme.data("alice", c.Risks(all=True), now=later)}
    assert ("low_participation", "payments") in kinds
    acme.run("alice", c.TeamArchive("payments"), now=later)
    kinds = {(r["kind"], r["subject"]) for r in acme.data("alice", c.Risks(all=True), now=later)}
    assert ("low_participation", "payments") not in kinds
    asked = len(store.state("acme").outbox)
    assert tick(store, "acme", later, later + timedelta(days=7)).done == [] and len(store.state("acme").outbox) == asked
