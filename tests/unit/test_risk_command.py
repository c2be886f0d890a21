"""`risks` and `risks thresholds` as people use them, and `team show`'s commitment reliability."""

from __future__ import annotations

from datetime import timedelta

from core import commands as c
from core.dates import DateSpec
from core.errors import Conflict, InvalidInput, PermissionDenied
from tests.unit.conftest import Org


def plan(o: Org) -> None:
    """Org priority P-1 served by payments' P-2, which needs D-1 from infra; D-1 gets blocked."""
    o.run("alice", c.PriorityAdd("Grow", org=True, owner="alice", due=DateSpec("2027-06-30")))
    o.run("pete", c.PriorityAdd("Checkout", team="payments", owner="pete", parent=1, due=DateSpec("2027-03-01")))
    o.run("mia", c.DepRequest("infra", "Keys", DateSpec("2026-12-10"), for_priority=2, team="payments"))
    o.run("ian", c.DepAccept(1))
    o.run("mia", c.DepBlock(1, "Security review"))


def test_risks_are_ranked_and_say_who_acts(acme: Org) -> None:
    plan(acme)
    text = acme.say("alice", c.Risks())
    lines = text.splitlines()
    assert lines[0] == ("2 risks in the whole organisation, highest score first (1 high: score 70 or more). "
                        "Score · why → who acts:")  # fmt: skip
    assert "P-1 depends on D-1 (blocked) through P-2." in lines[1]
    assert lines[2].strip().startswith("→ @alice: ")
    assert "P-2 depends on D-1 (blocked)." in lines[3] and "@pete" in lines[4]
    assert "Security review" not in text


def test_risks_are_listed_strictly_by_score_across_kinds(acme: Org) -> None:
    """The engine finds several kinds at once here; their scores interleave (the list used to be grouped by
    kind, so 80, 75 came before 78). Every line's score is at most the one above it, text and JSON alike."""
    plan(acme)
    for n in range(3):
        acme.run("alice", c.PriorityAdd(f"Goal {n}", org=True))
    acme.run("mia", c.BlockerAdd("Keys vault down", on="infra"))
    later = acme.now + timedelta(days=20)
    text = acme.say("alice", c.Risks(all=True), now=later)
    scores = [int(ln.split("·")[0]) for ln in text.splitlines()[1:] if "·" in ln and not ln.strip().startswith("→")]
    assert len(scores) >= 6 and scores == sorted(scores, reverse=True)
    kinds = [r["kind"] for r in acme.data("alice", c.Risks(all=True), now=later)]
    assert len(set(kinds)) >= 4  # several kinds, yet one order
    assert [r["score"] for r in acme.data("alice", c.Risks(all=True), now=later)] == sorted(
        (r["score"] for r in acme.data("alice", c.Risks(all=True), now=later)), reverse=True
    )
    assert "high: score 70 or more" in text.splitlines()[0]


def test_only_the_top_ten_without_all(acme: Org) -> None:
    for n in range(12):
        acme.run("alice", c.PriorityAdd(f"Goal {n}", org=True))
    text = acme.say("alice", c.Risks())
    assert text.splitlines()[0].startswith("Top 10 of 24 risks in the whole organisation")
    assert text.splitlines()[-1] == "… and 14 more: `risks --all`"
    assert "more:" not in acme.say("alice", c.Risks(all=True))
    assert len(acme.data("alice", c.Risks())) == 24


def test_json_is_the_ranked_contract(acme: Org) -> None:
    plan(acme)
    data = acme.data("alice", c.Risks())
    assert [r["subject"] for r in data] == ["P-1", "P-2"]
    assert set(data[0]) == {"kind", "score", "subject", "evidence", "owner", "action", "acknowledged"}
    assert data[0]["acknowledged"] is None
    assert data[0]["kind"] == "endangered_priority" and data[0]["evidence"][0] == "P-1"


def test_team_scope_is_the_team_its_children_and_what_touches_them(acme: Org) -> None:
    plan(acme)
    acme.run("alice", c.PriorityAdd("Lonely", team="checkout"))  # unowned, unaligned: checkout's own
    subjects = {r["subject"] for r in acme.data("alice", c.Risks(team="infra"))}
    assert subjects == {"P-1", "P-2"}  # through D-1, which infra provides
    checkout = {r["subject"] for r in acme.data("alice", c.Risks(team="checkout"))}
    assert checkout == {"P-3"}
    product = {r["subject"] for r in acme.data("alice", c.Risks(team="product"))}
    assert {"P-1", "P-2", "P-3"} <= product
    assert "product and the teams below it" in acme.say("alice", c.Risks(team="product")).splitlines()[0]


def test_a_member_of_one_team_sees_its_risks_unless_asking_for_the_org(acme: Org) -> None:
    plan(acme)
    acme.run("alice", c.PriorityAdd("Lonely", team="checkout"))
    assert {r["subject"] for r in acme.data("max", c.Risks())} == {"P-3"}
    assert {r["subject"] for r in acme.data("max", c.Risks(org=True))} >= {"P-1", "P-2", "P-3"}


def test_no_risks_says_so(acme: Org) -> None:
    assert acme.say("alice", c.Risks()) == "No risks in the whole organisation."


def test_thresholds_show_and_set(acme: Org) -> None:
    shown = acme.say("ivy", c.RisksThresholds())
    assert "stale_blocker_days = 5: " in shown and "participation_floor = 50%" in shown
    said = acme.say("alice", c.RisksThresholds(("stale_blocker_days=2", "participation_floor=40%")))
    assert said == "Risk thresholds updated: stale_blocker_days 5 → 2, participation_floor 50% → 40%."
    assert "stale_blocker_days = 2 (default 5)" in acme.say("ivy", c.RisksThresholds())
    acme.run("ian", c.BlockerAdd("Build is red", team="infra"))
    later = acme.now + timedelta(days=2)
    assert [r["kind"] for r in acme.data("alice", c.Risks(), now=later)] == ["stale_blocker"]
    assert acme.events("settings.risk")[-1].data["after"] == {"stale_blocker_days": 2, "participation_floor": 0.4}


def test_thresholds_refusals(acme: Org) -> None:
    assert "Only an admin" in acme.refused("ivy", c.RisksThresholds(("stale_blocker_days=2",)), PermissionDenied)
    msg = acme.refused("alice", c.RisksThresholds(("stale_days=2",)), InvalidInput)
    assert "no risk threshold 'stale_days'" in msg and "stale_blocker_days" in msg
    msg = acme.refused("alice", c.RisksThresholds(("stale_blocker_days=1.5",)), InvalidInput)
    assert "whole number" in msg
    msg = acme.refused("alice", c.RisksThresholds(("escalation_days=0",)), InvalidInput)
    assert "from 1 to 365 (got 0)" in msg
    msg = acme.refused("alice", c.RisksThresholds(("confidence_drop=10", "stale_blocker_days=-3")), InvalidInput)
    assert "stale_blocker_days" in msg
    acme.refused("alice", c.RisksThresholds(("escalation_days=5",)), Conflict)


def test_team_show_reports_commitment_reliability(acme: Org) -> None:
    acme.run("mia", c.DepRequest("infra", "Keys", DateSpec("2026-11-25"), team="payments"))
    acme.run("mia", c.DepRequest("infra", "Certs", DateSpec("2026-11-26"), team="payments"))
    acme.run("ian", c.DepAccept(1))
    acme.run("ian", c.DepAccept(2))
    acme.run("ian", c.DepDone(1), now=acme.now + timedelta(days=1))
    later = acme.now + timedelta(days=5)
    text = acme.say("ian", c.TeamShow("infra"), now=later)
    assert "Commitment reliability (90 days): 50% of 2 accepted dependencies delivered on time" in text
    assert acme.data("ian", c.TeamShow("infra"), now=later)["reliability"]["percent"] == 50
    assert "no accepted dependencies due yet" in acme.say("ian", c.TeamShow("payments"))
