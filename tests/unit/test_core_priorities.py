"""`priority add|update|align|done|drop|list|show`."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core import commands as c
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.model import Status
from tests.unit.conftest import NOW, Org, when


@pytest.fixture
def prios(acme: Org) -> Org:
    """acme with P-1 (org, owner alice), P-2 (product, aligned to P-1), P-3 (payments, owner mia, under P-2)."""
    acme.run("alice", c.PriorityAdd("Grow revenue", org=True, owner="alice"))
    acme.run("paula", c.PriorityAdd("Better checkout", parent=1))
    acme.run("pete", c.PriorityAdd("Ship refunds", owner="mia", parent=2, due=when("2026-12-31")))
    return acme


# -- add ------------------------------------------------------------------------------------


def test_lead_adds_a_priority_to_their_team_by_default(acme: Org) -> None:
    text = acme.say("pete", c.PriorityAdd("Ship refunds", owner="mia", due=when("fri"), outcome="Refunds in 1 day"))
    assert text == "P-1 Ship refunds added for payments owned by @mia."
    p = acme.priority(1)
    assert (p.team, p.owner, p.due.isoformat(), p.outcome, p.rank) == (
        "payments", "mia", "2026-11-27", "Refunds in 1 day", 1,
    )  # fmt: skip
    assert (p.status, p.progress, p.confidence, p.created_at) == (Status.ON_TRACK, 0, None, NOW)
    assert acme.last is not None and acme.last.data["id"] == "P-1" and acme.last.public
    [event] = acme.events("priority.created")
    assert (event.actor, event.subject) == ("pete", "P-1")
    assert event.data["title"] == "Ship refunds" and event.data["team"] == "payments"


def test_a_priority_without_owner_says_so(acme: Org) -> None:
    assert "with no owner yet" in acme.say("pete", c.PriorityAdd("Ship refunds"))
    assert acme.priority(1).owner is None


def test_ranks_count_open_priorities_per_team(acme: Org) -> None:
    acme.say("pete", c.PriorityAdd("One"))
    acme.say("pete", c.PriorityAdd("Two"))
    acme.say("cleo", c.PriorityAdd("Other team"))
    assert [acme.priority(n).rank for n in (1, 2, 3)] == [1, 2, 1]


def test_explicit_team_and_lead_of_parent_team(acme: Org) -> None:
    acme.say("paula", c.PriorityAdd("Faster payouts", team="payments"))
    assert acme.priority(1).team == "payments"
    acme.say("alice", c.PriorityAdd("Admin may add anywhere", team="infra"))
    assert acme.priority(2).team == "infra"


def test_org_level_priorities_are_admin_only(acme: Org) -> None:
    assert "at org level" in acme.say("alice", c.PriorityAdd("Grow revenue"))  # alice is in no team
    assert acme.priority(1).team is None
    acme.refused("pete", c.PriorityAdd("Mine", org=True), PermissionDenied)
    acme.refused("bob", c.PriorityAdd("Mine"), PermissionDenied)  # no team, so org-level


def test_add_refusals(acme: Org) -> None:
    acme.refused("mia", c.PriorityAdd("Member can't"), PermissionDenied)
    acme.refused("cleo", c.PriorityAdd("Sibling lead can't", team="payments"), PermissionDenied)
    acme.refused("pete", c.PriorityAdd("Unknown team", team="nope"), NotFound)
    acme.refused("pete", c.PriorityAdd("Unknown owner", owner="ghost"), NotFound, people=[])
    message = acme.refused("pete", c.PriorityAdd("Past", due=when("2026-11-22")), InvalidInput)
    assert "past" in message
    acme.refused("pete", c.PriorityAdd("  "), InvalidInput)
    acme.refused("pete", c.PriorityAdd("x" * 201), InvalidInput)
    acme.refused("pete", c.PriorityAdd("Unknown parent", parent=99), NotFound)
    acme.say("alice", c.TeamAdd("infra", ("pete",), lead=True))
    assert "several teams" in acme.refused("pete", c.PriorityAdd("Ambiguous"), NotFound)
    assert acme.state.priorities == {}


def test_due_today_is_fine(acme: Org) -> None:
    acme.say("pete", c.PriorityAdd("Today", due=when("today")))
    assert acme.priority(1).due == NOW.date()


# -- alignment ------------------------------------------------------------------------------


def test_alignment_rules(prios: Org) -> None:
    assert prios.priority(2).parent == 1  # product -> org
    assert prios.priority(3).parent == 2  # payments -> parent team product
    prios.say("cleo", c.PriorityAdd("Checkout revamp"))  # P-4
    # a team priority may align to an org priority, or to any ancestor team's
    prios.say("pete", c.PriorityAdd("Direct to org", parent=1))  # P-5
    assert prios.priority(5).parent == 1
    # never to a sibling team's, nor its own team's, nor a child's
    assert "checkout" in prios.refused("pete", c.PriorityAdd("Sibling", parent=4), InvalidInput)
    prios.refused("pete", c.PriorityAdd("Own team", parent=3), InvalidInput)
    prios.refused("paula", c.PriorityAdd("Child team", parent=3), InvalidInput)
    # org priorities are the top of the tree
    prios.refused("alice", c.PriorityAdd("Org under org", org=True, parent=1), InvalidInput)


def test_align_moves_a_priority_and_records_it(prios: Org) -> None:
    text = prios.say("mia", c.PriorityAlign(3, to=1))  # mia owns P-3
    assert text == "P-3 Ship refunds now serves P-1 Grow revenue."
    assert prios.priority(3).parent == 1
    event = prios.events("priority.aligned")[-1]
    assert (event.actor, event.subject, event.data) == ("mia", "P-3", {"before": "P-2", "after": "P-1"})


def test_align_refusals(prios: Org) -> None:
    prios.refused("pete", c.PriorityAlign(3, to=3), InvalidInput)  # itself
    prios.refused("alice", c.PriorityAlign(1, to=2), InvalidInput)  # org-level can't align
    prios.refused("pete", c.PriorityAlign(3, to=2), Conflict)  # already
    prios.refused("max", c.PriorityAlign(3, to=1), PermissionDenied)
    prios.refused("pete", c.PriorityAlign(3, to=42), NotFound)
    prios.refused("pete", c.PriorityAlign(42, to=1), NotFound)
    prios.say("alice", c.PriorityAdd("Other goal", org=True))  # P-4
    prios.say("alice", c.PriorityDrop(4, "not this year"))
    prios.refused("pete", c.PriorityAlign(3, to=4), Conflict)  # closed parent


# -- update ---------------------------------------------------------------------------------


def test_update_records_before_after_and_note(prios: Org) -> None:
    later = NOW + timedelta(hours=2)
    cmd = c.PriorityUpdate(3, status=Status.AT_RISK, confidence=60, progress=40, note="Bank API late")
    text = prios.say("mia", cmd, now=later)
    first, note = text.splitlines()
    assert first.startswith("P-3 Ship refunds updated: ")
    for change in ("status on-track → at-risk", "→ 60", "progress 0 → 40"):
        assert change in first
    assert note == "Note: Bank API late"
    p = prios.priority(3)
    assert (p.status, p.confidence, p.progress, p.updated_at) == (Status.AT_RISK, 60, 40, later)
    event = prios.events("priority.updated")[-1]
    assert (event.actor, event.subject, event.at) == ("mia", "P-3", later)
    assert event.data == {
        "before": {"status": "on-track", "confidence": None, "progress": 0},
        "after": {"status": "at-risk", "confidence": 60, "progress": 40},
        "note": "Bank API late",
    }


def test_a_note_alone_is_an_update(prios: Org) -> None:
    assert "note added" in prios.say("mia", c.PriorityUpdate(3, note="All good"))
    assert prios.events("priority.updated")[-1].data == {"before": {}, "after": {}, "note": "All good"}


def test_update_owner_and_due(prios: Org) -> None:
    prios.say("pete", c.PriorityUpdate(3, owner="max", due=when("+2w")))
    p = prios.priority(3)
    assert (p.owner, p.due.isoformat()) == ("max", "2026-12-07")
    assert prios.events("priority.updated")[-1].data["before"] == {"owner": "mia", "due": "2026-12-31"}


def test_who_may_update(prios: Org) -> None:
    prios.say("mia", c.PriorityUpdate(3, confidence=80))  # owner
    prios.say("pete", c.PriorityUpdate(3, confidence=70))  # team lead
    prios.say("paula", c.PriorityUpdate(3, confidence=60))  # lead of the parent team
    prios.say("alice", c.PriorityUpdate(3, confidence=50))  # admin
    prios.refused("max", c.PriorityUpdate(3, confidence=40), PermissionDenied)
    prios.refused("cleo", c.PriorityUpdate(3, confidence=40), PermissionDenied)
    prios.refused("paula", c.PriorityUpdate(1, confidence=40), PermissionDenied)  # org-level: owner/admin
    assert prios.priority(3).confidence == 50


@pytest.mark.parametrize(
    "cmd",
    [
        c.PriorityUpdate(3, confidence=101),
        c.PriorityUpdate(3, confidence=-1),
        c.PriorityUpdate(3, progress=101),
        c.PriorityUpdate(3, progress=-5),
        c.PriorityUpdate(3, due=when("2026-11-01")),
        c.PriorityUpdate(3, note="   "),
    ],
)
def test_update_refuses_bad_values(prios: Org, cmd: c.PriorityUpdate) -> None:
    prios.refused("mia", cmd, InvalidInput)


def test_update_boundaries_are_accepted(prios: Org) -> None:
    prios.say("mia", c.PriorityUpdate(3, confidence=0, progress=100))
    assert (prios.priority(3).confidence, prios.priority(3).progress) == (0, 100)


def test_update_refuses_nothing_changed_and_unknowns(prios: Org) -> None:
    prios.refused("mia", c.PriorityUpdate(3, status=Status.ON_TRACK, progress=0), Conflict)
    prios.refused("mia", c.PriorityUpdate(3), Conflict)
    prios.refused("mia", c.PriorityUpdate(99, progress=10), NotFound)
    prios.refused("mia", c.PriorityUpdate(3, owner="ghost"), NotFound, people=[])


def test_update_to_done_sets_progress_100_and_records_it(prios: Org) -> None:
    prios.say("mia", c.PriorityUpdate(3, progress=30))
    prios.refused("mia", c.PriorityUpdate(3, status=Status.DONE, progress=50), InvalidInput)
    prios.say("mia", c.PriorityUpdate(3, status=Status.DONE))
    p = prios.priority(3)
    assert (p.status, p.progress, p.is_open) == (Status.DONE, 100, False)
    assert prios.events("priority.updated")[-1].data["after"] == {"status": "done", "progress": 100}


def test_a_closed_priority_needs_a_status_to_be_updated(prios: Org) -> None:
    prios.say("mia", c.PriorityDrop(3, "descoped"))
    prios.refused("mia", c.PriorityUpdate(3, confidence=10), Conflict)
    prios.refused("mia", c.PriorityUpdate(3, status=Status.DONE, confidence=10), Conflict)
    prios.refused("paula", c.PriorityUpdate(2, status=Status.DROPPED), InvalidInput)
    prios.say("mia", c.PriorityUpdate(3, status=Status.ON_TRACK))
    p = prios.priority(3)
    assert (p.status, p.closed_reason) == (Status.ON_TRACK, None)


# -- done / drop ----------------------------------------------------------------------------


def test_done(prios: Org) -> None:
    assert prios.say("pete", c.PriorityDone(3)) == "P-3 Ship refunds is done. 🎉"
    p = prios.priority(3)
    assert (p.status, p.progress) == (Status.DONE, 100)
    event = prios.events("priority.updated")[-1]
    assert event.data == {"before": {"status": "on-track"}, "after": {"status": "done"}, "note": None}
    prios.refused("pete", c.PriorityDone(3), Conflict)
    prios.refused("pete", c.PriorityDrop(3, "why"), Conflict)


def test_drop_needs_a_reason(prios: Org) -> None:
    prios.refused("mia", c.PriorityDrop(3, "  "), InvalidInput)
    assert prios.say("mia", c.PriorityDrop(3, " Bank said no ")) == "P-3 Ship refunds dropped: Bank said no."
    p = prios.priority(3)
    assert (p.status, p.closed_reason) == (Status.DROPPED, "Bank said no")
    assert prios.events("priority.updated")[-1].data["note"] == "Bank said no"


def test_done_and_drop_permissions(prios: Org) -> None:
    prios.refused("max", c.PriorityDone(3), PermissionDenied)
    prios.refused("max", c.PriorityDrop(3, "nope"), PermissionDenied)
    prios.refused("pete", c.PriorityDone(1), PermissionDenied)
    prios.refused("pete", c.PriorityDone(99), NotFound)


# -- list / show ----------------------------------------------------------------------------


def test_list_scope(prios: Org) -> None:
    prios.say("cleo", c.PriorityAdd("Checkout revamp"))  # P-4
    assert [p["id"] for p in prios.data("bob", c.PriorityList())] == ["P-1", "P-4", "P-3", "P-2"]
    assert [p["id"] for p in prios.data("mia", c.PriorityList())] == ["P-3"]  # my only team
    assert [p["id"] for p in prios.data("mia", c.PriorityList(team="checkout"))] == ["P-4"]
    text = prios.say("max", c.PriorityList())
    assert text.splitlines() == [
        "1 open priority in checkout:",
        "  P-4 Checkout revamp [checkout] on-track, 0% done, owner nobody",
    ]
    prios.refused("bob", c.PriorityList(team="nope"), NotFound)


def test_list_all_includes_closed(prios: Org) -> None:
    prios.say("mia", c.PriorityDone(3))
    assert prios.data("mia", c.PriorityList()) == []
    assert [p["id"] for p in prios.data("mia", c.PriorityList(all=True))] == ["P-3"]
    assert prios.say("mia", c.PriorityList(all=True)).startswith("1 priority in payments:")


def test_show_has_history_children_and_dependencies(prios: Org) -> None:
    prios.say("mia", c.PriorityUpdate(3, confidence=70, note="on it"))
    prios.say("mia", c.DepRequest("infra", "DB capacity", by=when("+2w"), for_priority=3))
    data = prios.data("bob", c.PriorityShow(3))
    assert data["id"] == "P-3" and data["parent"] == "P-2"
    assert data["children"] == []
    assert data["dependencies"] == ["D-1"]
    assert [(e["kind"], e["actor"]) for e in data["history"]] == [
        ("priority.created", "pete"),
        ("priority.updated", "mia"),
    ]
    assert prios.data("bob", c.PriorityShow(2))["children"] == ["P-3"]
    text = prios.say("bob", c.PriorityShow(3))
    assert "Dependencies: D-1 (requested)" in text
    [updated] = [x for x in text.splitlines() if "updated by @mia" in x]
    assert updated.startswith("  2026-11-23 updated by @mia")
    assert "→ 70" in updated and updated.endswith("on it")
    assert "No owner" in prios.say("bob", c.PriorityShow(2))
    prios.refused("bob", c.PriorityShow(99), NotFound)
