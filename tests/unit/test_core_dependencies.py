"""`dep request|accept|decline|block|unblock|done|cancel|list|show`: the state machine of SPEC.md."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from core import commands as c
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.model import DepState, Status
from tests.unit.conftest import NOW, Org, render, when

# payments (lead pete, member mia) asks infra (lead ian, member ivy); everyone is set up by `acme`.


@pytest.fixture
def dep(acme: Org) -> Org:
    """acme with D-1: payments asks infra for "DB capacity" by 2026-12-07, requested by mia."""
    acme.run("mia", c.DepRequest("infra", "DB capacity", by=when("+2w")))
    return acme


def test_request(acme: Org) -> None:
    acme.run("pete", c.PriorityAdd("Ship refunds"))
    text = acme.say("mia", c.DepRequest("infra", "DB capacity", by=when("fri"), for_priority=1))
    assert text.splitlines() == [
        "D-1 requested: payments → infra: DB capacity by 2026-11-27.",
        "infra has been asked to accept or decline.",
    ]
    d = acme.dep(1)
    assert (d.from_team, d.to_team, d.what, d.needed_by, d.for_priority) == (
        "payments", "infra", "DB capacity", date(2026, 11, 27), 1,
    )  # fmt: skip
    assert (d.state, d.requester_owner, d.provider_owner, d.committed, d.created_at) == (
        DepState.REQUESTED, "mia", None, None, NOW,
    )  # fmt: skip
    assert acme.last is not None and acme.last.public
    assert acme.last.data["id"] == "D-1" and acme.last.data["for"] == "P-1" and acme.last.data["state"] == "requested"
    [event] = acme.events("dependency.requested")
    assert (event.actor, event.subject, event.data["to_team"]) == ("mia", "D-1", "infra")


def test_request_notifies_the_providing_channel_and_each_lead_once(acme: Org) -> None:
    acme.say("alice", c.TeamAdd("infra", ("ivy",), lead=True))
    notices = acme.run("mia", c.DepRequest("infra", "DB capacity", by=when("fri"))).notices
    assert [(n.channel, n.person) for n in notices] == [("C-infra", None), (None, "ian"), (None, "ivy")]
    assert len({n.key for n in notices}) == 3
    assert all(n.key.startswith("D-1:") for n in notices)
    ask = render(notices[0].lines)
    assert "payments asks infra for DB capacity by 2026-11-27 (D-1), requested by @mia." in ask
    assert [(o.act.value, o.subject) for o in notices[0].offers] == [
        ("dep.accept", "D-1"), ("dep.decline", "D-1"), ("dep.propose", "D-1")]  # fmt: skip
    assert all(n.offers == notices[0].offers for n in notices)  # the channel and every lead can answer
    assert all(n.lines == notices[0].lines for n in notices)


def test_request_to_a_team_without_channel_notifies_only_leads(acme: Org) -> None:
    acme.say("alice", c.TeamCreate("data", "Data"))
    acme.say("alice", c.TeamAdd("data", ("dana",), lead=True))
    notices = acme.run("mia", c.DepRequest("data", "A feed", by=when("fri"))).notices
    assert [(n.channel, n.person) for n in notices] == [(None, "dana")]


def test_request_refusals(acme: Org) -> None:
    acme.refused("bob", c.DepRequest("infra", "x", by=when("fri")), NotFound)  # bob is in no team
    acme.refused("bob", c.DepRequest("infra", "x", by=when("fri"), team="payments"), PermissionDenied)
    acme.refused("ivy", c.DepRequest("infra", "x", by=when("fri"), team="payments"), PermissionDenied)
    acme.refused("alice", c.DepRequest("infra", "x", by=when("fri"), team="payments"), PermissionDenied)
    acme.refused("mia", c.DepRequest("payments", "x", by=when("fri")), InvalidInput)  # itself
    acme.refused("mia", c.DepRequest("nope", "x", by=when("fri")), NotFound)
    past = acme.refused("mia", c.DepRequest("infra", "x", by=when("2026-11-22")), InvalidInput)
    assert "past" in past
    acme.refused("mia", c.DepRequest("infra", "  ", by=when("fri")), InvalidInput)
    acme.refused("mia", c.DepRequest("infra", "x", by=when("fri"), for_priority=9), NotFound)
    acme.run("pete", c.PriorityAdd("Done already"))
    acme.run("pete", c.PriorityDone(1))
    acme.refused("mia", c.DepRequest("infra", "x", by=when("fri"), for_priority=1), Conflict)
    assert acme.state.dependencies == {}


def test_needed_by_today_is_fine(acme: Org) -> None:
    acme.say("mia", c.DepRequest("infra", "x", by=when("today")))
    assert acme.dep(1).needed_by == NOW.date()


def test_accept_with_owner_and_committed_date(dep: Org) -> None:
    later = NOW + timedelta(hours=1)
    text = dep.say("ivy", c.DepAccept(1, owner="ian", commit=when("2026-12-10")), now=later)
    assert text == "D-1 accepted: committed 2026-12-10 (needed by 2026-12-07: 3 days late), owner @ian."
    d = dep.dep(1)
    assert (d.state, d.provider_owner, d.committed, d.answered_at) == (
        DepState.ACCEPTED, "ian", date(2026, 12, 10), later,
    )  # fmt: skip
    event = dep.events("dependency.accepted")[-1]
    assert (event.actor, event.data["before"], event.data["after"]) == ("ivy", "requested", "accepted")
    assert event.data["committed"] == "2026-12-10"
    notices = dep.last.notices  # type: ignore[union-attr]
    assert [(n.channel, n.person) for n in notices] == [("C-payments", None)]
    assert "infra accepted D-1 DB capacity" in render(notices[0].lines)


def test_accept_defaults_owner_to_me_and_commit_to_needed_by(dep: Org) -> None:
    assert dep.say("ivy", c.DepAccept(1)) == "D-1 accepted: committed 2026-12-07, owner @ivy."
    assert (dep.dep(1).provider_owner, dep.dep(1).committed) == ("ivy", date(2026, 12, 7))


def test_accept_refusals(dep: Org) -> None:
    dep.refused("mia", c.DepAccept(1), PermissionDenied)  # requesting side
    dep.refused("alice", c.DepAccept(1), PermissionDenied)  # admin, but not in infra
    dep.refused("ivy", c.DepAccept(1, commit=when("2026-11-20")), InvalidInput)
    dep.refused("ivy", c.DepAccept(1, owner="ghost"), NotFound, people=[])
    dep.refused("ivy", c.DepAccept(7), NotFound)


def test_decline(dep: Org) -> None:
    assert dep.say("ian", c.DepDecline(1, "No capacity this quarter")) == "D-1 declined: No capacity this quarter"
    d = dep.dep(1)
    assert (d.state, d.declined_reason, d.answered_at) == (DepState.DECLINED, "No capacity this quarter", NOW)
    assert dep.events("dependency.declined")[-1].data["reason"] == "No capacity this quarter"
    notices = dep.last.notices  # type: ignore[union-attr]
    assert [(n.channel, n.person) for n in notices] == [("C-payments", None), (None, "pete")]
    assert len({n.key for n in notices}) == 2


def test_decline_refusals(dep: Org) -> None:
    dep.refused("mia", c.DepDecline(1, "no"), PermissionDenied)
    dep.refused("ivy", c.DepDecline(1, "  "), InvalidInput)


def test_block_and_unblock_return_to_where_it_was(dep: Org) -> None:
    dep.say("ivy", c.DepAccept(1, commit=when("2026-12-10")))
    assert dep.say("mia", c.DepBlock(1, "Vendor outage")) == "D-1 blocked: Vendor outage"
    d = dep.dep(1)
    assert (d.state, d.blocked_reason, d.blocked_from) == (DepState.BLOCKED, "Vendor outage", DepState.ACCEPTED)
    notices = dep.last.notices  # type: ignore[union-attr]
    assert [n.channel for n in notices] == ["C-infra"]  # the other side hears of it
    assert dep.say("ivy", c.DepUnblock(1)) == "D-1 unblocked: back to accepted."
    d = dep.dep(1)
    assert (d.state, d.blocked_reason, d.blocked_from, d.committed) == (
        DepState.ACCEPTED, None, None, date(2026, 12, 10),
    )  # fmt: skip
    kinds = [e.kind for e in dep.events() if e.subject == "D-1"]
    assert kinds == ["dependency.requested", "dependency.accepted", "dependency.blocked", "dependency.unblocked"]
    assert dep.events("dependency.unblocked")[-1].data == {"before": "blocked", "after": "accepted"}


def test_block_by_the_provider_notifies_the_requester(dep: Org) -> None:
    dep.say("ivy", c.DepBlock(1, "Waiting on a spec"))
    assert [n.channel for n in dep.last.notices] == ["C-payments"]  # type: ignore[union-attr]
    dep.say("mia", c.DepUnblock(1))
    assert dep.dep(1).state is DepState.REQUESTED


def test_done_and_cancel(dep: Org) -> None:
    dep.say("ivy", c.DepAccept(1))
    assert dep.say("mia", c.DepDone(1), now=NOW + timedelta(days=16)) == "D-1 delivered (2 days after 2026-12-07)."
    assert dep.dep(1).state is DepState.DELIVERED
    assert dep.dep(1).delivered_at == NOW + timedelta(days=16)
    dep.say("mia", c.DepRequest("infra", "Another", by=when("fri")))
    assert dep.say("pete", c.DepCancel(2)) == "D-2 cancelled."
    assert dep.dep(2).state is DepState.CANCELLED
    assert [n.channel for n in dep.last.notices] == ["C-infra"]  # type: ignore[union-attr]


def test_who_may_move_a_dependency(dep: Org) -> None:
    for outsider in ("max", "bob", "alice"):
        dep.refused(outsider, c.DepBlock(1, "x"), PermissionDenied)
        dep.refused(outsider, c.DepCancel(1), PermissionDenied)
    dep.refused("ivy", c.DepCancel(1), PermissionDenied)  # only the requesting side cancels
    dep.say("ian", c.DepAccept(1))
    for outsider in ("max", "paula"):  # paula leads payments' parent, but is not in either team
        dep.refused(outsider, c.DepDone(1), PermissionDenied)
    dep.say("ivy", c.DepBlock(1, "x"))
    dep.refused("max", c.DepUnblock(1), PermissionDenied)
    dep.say("pete", c.DepUnblock(1))
    dep.say("ivy", c.DepDone(1))  # either side may mark it delivered
    assert dep.dep(1).state is DepState.DELIVERED


# -- the whole state machine ------------------------------------------------------------------


SETUPS: dict[str, list[tuple[str, c.Command]]] = {
    "requested": [],
    "accepted": [("ivy", c.DepAccept(1))],
    "declined": [("ivy", c.DepDecline(1, "no"))],
    "blocked-from-requested": [("mia", c.DepBlock(1, "stuck"))],
    "blocked-from-accepted": [("ivy", c.DepAccept(1)), ("ivy", c.DepBlock(1, "stuck"))],
    "delivered": [("ivy", c.DepAccept(1)), ("ivy", c.DepDone(1))],
    "cancelled": [("mia", c.DepCancel(1))],
}

ACTIONS: dict[str, tuple[str, c.Command]] = {
    "accept": ("ivy", c.DepAccept(1)),
    "decline": ("ivy", c.DepDecline(1, "no")),
    "block": ("mia", c.DepBlock(1, "again")),
    "unblock": ("mia", c.DepUnblock(1)),
    "done": ("ivy", c.DepDone(1)),
    "cancel": ("mia", c.DepCancel(1)),
}

LEGAL: dict[tuple[str, str], DepState] = {
    ("requested", "accept"): DepState.ACCEPTED,
    ("requested", "decline"): DepState.DECLINED,
    ("requested", "block"): DepState.BLOCKED,
    ("requested", "cancel"): DepState.CANCELLED,
    ("accepted", "block"): DepState.BLOCKED,
    ("accepted", "done"): DepState.DELIVERED,
    ("accepted", "cancel"): DepState.CANCELLED,
    ("blocked-from-requested", "unblock"): DepState.REQUESTED,
    ("blocked-from-requested", "cancel"): DepState.CANCELLED,
    ("blocked-from-accepted", "unblock"): DepState.ACCEPTED,
    ("blocked-from-accepted", "cancel"): DepState.CANCELLED,
}


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("start", list(SETUPS))
def test_state_machine(dep: Org, start: str, action: str) -> None:
    for actor, cmd in SETUPS[start]:
        dep.run(actor, cmd)
    actor, cmd = ACTIONS[action]
    expected = LEGAL.get((start, action))
    if expected is None:
        message = dep.refused(actor, cmd, Conflict)
        assert "D-1" in message
    else:
        dep.run(actor, cmd)
        assert dep.dep(1).state is expected
        assert dep.events()[-1].subject == "D-1"


# -- list / show --------------------------------------------------------------------------------


@pytest.fixture
def deps(dep: Org) -> Org:
    """D-1 payments → infra (requested), D-2 checkout → payments (delivered), D-3 infra → checkout."""
    dep.run("max", c.DepRequest("payments", "Refund API", by=when("fri")))
    dep.run("pete", c.DepAccept(2))
    dep.run("pete", c.DepDone(2))
    dep.run("ivy", c.DepRequest("checkout", "Feedback", by=when("fri")))
    return dep


def test_list(deps: Org) -> None:
    def ids(data: list[dict[str, object]]) -> list[object]:
        return [d["id"] for d in data]

    assert ids(deps.data("bob", c.DepList())) == ["D-1", "D-3", "D-2"]  # open first
    assert ids(deps.data("mia", c.DepList())) == ["D-1", "D-2"]  # my only team, both ways
    assert ids(deps.data("bob", c.DepList(team="payments", direction="incoming"))) == ["D-2"]
    assert ids(deps.data("bob", c.DepList(team="payments", direction="outgoing"))) == ["D-1"]
    assert deps.say("bob", c.DepList(team="infra")).splitlines() == [
        "2 dependencies in infra (both ways):",
        "  D-1 payments → infra: DB capacity by 2026-12-07 — requested",
        "  D-3 infra → checkout: Feedback by 2026-11-27 — requested",
    ]
    deps.refused("bob", c.DepList(direction="incoming"), InvalidInput)
    deps.refused("bob", c.DepList(team="nope"), NotFound)


def test_show(deps: Org) -> None:
    deps.run("ivy", c.DepDecline(1, "Not now"))
    data = deps.data("bob", c.DepShow(1))
    assert data["state"] == "declined" and data["declined_reason"] == "Not now"
    assert [(e["kind"], e["actor"]) for e in data["history"]] == [
        ("dependency.requested", "mia"),
        ("dependency.declined", "ivy"),
    ]
    text = deps.say("bob", c.DepShow(1))
    assert "Requester: @mia · provider owner: nobody yet" in text
    assert "Declined: Not now" in text
    deps.refused("bob", c.DepShow(9), NotFound)


def test_a_dependency_for_a_priority_shows_on_it(acme: Org) -> None:
    acme.run("pete", c.PriorityAdd("Ship refunds"))
    acme.run("mia", c.DepRequest("infra", "DB", by=when("fri"), for_priority=1))
    assert acme.data("bob", c.PriorityShow(1))["dependencies"] == ["D-1"]
    assert acme.priority(1).status is Status.ON_TRACK
