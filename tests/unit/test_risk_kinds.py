"""Every risk kind of SPEC.md: planted, it is found with the right subject, evidence and owner;
absent, it is not raised. A healthy organisation raises nothing at all."""

from __future__ import annotations

from datetime import date

from core.model import BlockerState, DepState, Event, Status
from core.risks import Risk, RiskKind, Thresholds
from core.snapshot import Participation
from tests.unit.riskorg import NOW, ago, healthy, updated

K = RiskKind


def only(risks: list[Risk], kind: RiskKind) -> Risk:
    found = [r for r in risks if r.kind is kind]
    assert len(found) == 1, found
    return found[0]


def test_a_healthy_organisation_raises_nothing() -> None:
    assert healthy().risks() == []


def test_every_kind_is_covered_below() -> None:
    names = {n.removeprefix("test_").removesuffix("_is_found") for n in globals() if n.endswith("_is_found")}
    assert names == {k.value for k in RiskKind}


# --- dependencies ---------------------------------------------------------------------------


def test_overdue_dependency_is_found() -> None:
    o = healthy()
    o.d(1, committed=date(2026, 11, 18), needed_by=date(2026, 11, 18))
    r = only(o.risks(), K.OVERDUE_DEPENDENCY)
    assert (r.subject, r.owner) == ("D-1", "leo")
    assert r.evidence[0] == "D-1" and {"ledger", "payments", "P-2"} <= set(r.evidence)
    assert "5 days ago" in r.why and "D-1" in r.action


def test_overdue_dependency_not_raised_on_its_day_or_once_delivered() -> None:
    o = healthy()
    o.d(1, committed=NOW.date(), needed_by=NOW.date())
    assert not o.of(K.OVERDUE_DEPENDENCY)
    o.d(1, committed=date(2026, 11, 18), state=DepState.DELIVERED, delivered_at=ago(6))
    assert not o.of(K.OVERDUE_DEPENDENCY)


def test_unanswered_request_is_found() -> None:
    o = healthy()
    o.add_dep(3, "payments", "ledger", created_at=ago(5), requester_owner="pia")  # Wednesday: Thu, Fri, Mon
    r = only(o.risks(), K.UNANSWERED_REQUEST)
    assert (r.subject, r.owner) == ("D-3", "lena")
    assert r.evidence[:3] == ("D-3", "ledger", "payments")
    assert "3 working days" in r.why


def test_unanswered_request_not_raised_over_a_weekend_or_once_answered() -> None:
    o = healthy()
    o.add_dep(3, "payments", "ledger", created_at=ago(4))  # Thursday: only Fri and Mon are working days
    assert not o.of(K.UNANSWERED_REQUEST)
    o.d(3, created_at=ago(5), state=DepState.DECLINED, answered_at=ago(4))
    assert not o.of(K.UNANSWERED_REQUEST)


def test_a_proposal_left_unanswered_is_the_requesting_sides_to_answer() -> None:
    """A date proposed by the provider waits on the requester: after the same working days as an
    unanswered request it is raised, owned by the requester's owner (else the asking team's lead)."""
    o = healthy()
    o.add_dep(3, "payments", "ledger", created_at=ago(9), state=DepState.PROPOSED, proposed=date(2026, 12, 15),
              answered_at=ago(5), requester_owner="pia")  # fmt: skip
    r = only(o.risks(), K.UNANSWERED_REQUEST)
    assert (r.subject, r.owner) == ("D-3", "pia")
    assert "2026-12-15" in r.why and "3 working days" in r.why and "dep agree D-3" in r.action
    o.d(3, requester_owner=None)
    assert only(o.risks(), K.UNANSWERED_REQUEST).owner == "bob"
    o.d(3, answered_at=ago(4))  # Thursday: only Fri and Mon are working days
    assert not o.of(K.UNANSWERED_REQUEST)


def test_a_proposal_close_to_its_date_is_due_soon_for_the_requesting_side() -> None:
    o = healthy()
    o.add_dep(3, "payments", "ledger", needed_by=date(2026, 11, 27), state=DepState.PROPOSED,
              proposed=date(2026, 12, 1), answered_at=ago(1), requester_owner="pia")  # fmt: skip
    r = only(o.risks(), K.DUE_SOON_UNACCEPTED)
    assert (r.subject, r.owner) == ("D-3", "pia")
    assert "payments to answer ledger's proposed 2026-12-01" in r.why and "dep agree D-3" in r.action


def test_due_soon_unaccepted_is_found() -> None:
    o = healthy()
    o.add_dep(3, "payments", "ledger", needed_by=date(2026, 11, 27))
    r = only(o.risks(), K.DUE_SOON_UNACCEPTED)
    assert (r.subject, r.owner) == ("D-3", "lena")
    assert "4 working days" in r.why and "not accepted" in r.why
    o.d(1, state=DepState.BLOCKED, committed=date(2026, 11, 25), blocked_from=DepState.ACCEPTED)
    blocked = [r for r in o.of(K.DUE_SOON_UNACCEPTED) if r.subject == "D-1"]
    assert blocked and blocked[0].owner == "leo" and "blocked" in blocked[0].why


def test_due_soon_unaccepted_not_raised_when_accepted_or_far() -> None:
    o = healthy()
    o.add_dep(3, "payments", "ledger", needed_by=date(2026, 12, 4))  # 9 working days away
    o.d(1, committed=date(2026, 11, 25), needed_by=date(2026, 11, 25))  # accepted, due in 2 days
    assert not o.of(K.DUE_SOON_UNACCEPTED)


def test_blocked_dependency_is_found() -> None:
    o = healthy()
    o.d(1, state=DepState.BLOCKED, blocked_from=DepState.ACCEPTED, updated_at=ago(6))
    r = only(o.risks(), K.BLOCKED_DEPENDENCY)
    assert (r.subject, r.owner) == ("D-1", "leo")
    assert "6 days" in r.why


def test_blocked_dependency_age_comes_from_the_audit_trail() -> None:
    o = healthy()
    o.d(1, state=DepState.BLOCKED, blocked_from=DepState.ACCEPTED, updated_at=ago(1))
    o.events.append(Event(at=ago(8), actor="pia", kind="dependency.blocked", subject="D-1", data={}))
    assert only(o.risks(), K.BLOCKED_DEPENDENCY).subject == "D-1"


def test_blocked_dependency_not_raised_when_recent_or_unblocked() -> None:
    o = healthy()
    o.d(1, state=DepState.BLOCKED, blocked_from=DepState.ACCEPTED, updated_at=ago(2))
    assert not o.of(K.BLOCKED_DEPENDENCY)
    o.d(1, state=DepState.ACCEPTED, updated_at=ago(1))
    assert not o.of(K.BLOCKED_DEPENDENCY)


def test_stale_blocker_is_found() -> None:
    o = healthy()
    o.add_blocker(3, raised_at=ago(7), on="D-1")
    r = only(o.risks(), K.STALE_BLOCKER)
    assert (r.subject, r.owner) == ("B-3", "lena")  # ledger provides D-1: its lead acts
    assert r.evidence[:3] == ("B-3", "D-1", "ledger")
    o.add_blocker(4, raised_at=ago(9), on="ledger", team="payments")
    assert {r.subject: r.owner for r in o.of(K.STALE_BLOCKER)}["B-4"] == "lena"


def test_stale_blocker_not_raised_when_young_or_resolved() -> None:
    o = healthy()
    o.add_blocker(3, raised_at=ago(3))
    o.add_blocker(4, raised_at=ago(30), state=BlockerState.RESOLVED, resolved_at=ago(1), resolved_by="bob")
    assert not o.of(K.STALE_BLOCKER)


# --- impact propagation ---------------------------------------------------------------------


def test_endangered_priority_is_found() -> None:
    o = healthy()
    o.d(1, state=DepState.BLOCKED, blocked_from=DepState.ACCEPTED)
    found = {r.subject: r for r in o.of(K.ENDANGERED_PRIORITY)}
    assert set(found) == {"P-2", "P-1"}  # the priority it serves and its org priority
    assert found["P-2"].owner == "bob" and found["P-2"].evidence[:2] == ("P-2", "D-1")
    assert found["P-1"].owner == "ada" and found["P-1"].evidence[:3] == ("P-1", "D-1", "P-2")
    assert found["P-1"].score > found["P-2"].score  # org level weighs more


def test_endangered_priority_not_raised_for_healthy_or_closed_priorities() -> None:
    o = healthy()
    o.d(1, committed=date(2026, 11, 30))
    assert not o.of(K.ENDANGERED_PRIORITY)
    o.d(1, state=DepState.BLOCKED)
    o.p(2, status=Status.DONE)
    o.p(1, status=Status.DROPPED)
    assert not o.of(K.ENDANGERED_PRIORITY)


def test_a_decline_endangers_until_the_priority_is_replanned() -> None:
    o = healthy()
    o.add_dep(3, "payments", "ledger", for_priority=2, state=DepState.DECLINED, answered_at=ago(1))
    o.p(2, updated_at=ago(3))
    assert {r.subject for r in o.of(K.ENDANGERED_PRIORITY)} == {"P-1", "P-2"}
    o.p(2, updated_at=ago(0.5))
    assert not o.of(K.ENDANGERED_PRIORITY)


def test_schedule_conflict_is_found() -> None:
    o = healthy()
    o.d(1, committed=date(2027, 3, 10))  # needed 2026-12-10, but committed after P-2 is due
    r = only(o.risks(), K.SCHEDULE_CONFLICT)
    assert (r.subject, r.owner) == ("D-1", "leo")  # the provider committed late
    assert r.evidence[:2] == ("D-1", "P-2") and "9 days after P-2" in r.why
    o.d(1, committed=None, needed_by=date(2027, 3, 5), state=DepState.REQUESTED)
    assert only(o.risks(), K.SCHEDULE_CONFLICT).owner == "pia"  # the requester asked too late


def test_schedule_conflict_along_the_chain_and_between_priorities() -> None:
    o = healthy()
    o.p(2, due=None)
    o.p(1, due=date(2026, 12, 1))
    o.p(3, due=date(2026, 11, 30))
    found = {r.subject: r for r in o.of(K.SCHEDULE_CONFLICT)}
    assert found["D-1"].evidence[:2] == ("D-1", "P-1")  # P-2 has no date: its org priority's counts
    assert set(found) == {"D-1"}
    o.p(3, due=date(2026, 12, 20))
    assert only([r for r in o.risks() if r.subject == "P-3"], K.SCHEDULE_CONFLICT).owner == "lena"


def test_schedule_conflict_not_raised_with_slack() -> None:
    o = healthy()
    o.d(1, committed=date(2027, 3, 1))  # exactly on the due date: zero slack is fine
    assert not o.of(K.SCHEDULE_CONFLICT)


# --- priorities -----------------------------------------------------------------------------


def test_stale_priority_is_found() -> None:
    o = healthy()
    o.p(2, updated_at=ago(20))
    r = only(o.risks(), K.STALE_PRIORITY)
    assert (r.subject, r.owner, r.evidence) == ("P-2", "bob", ("P-2", "payments"))


def test_stale_priority_not_raised_when_an_event_is_recent() -> None:
    o = healthy()
    o.p(2, updated_at=ago(20))
    o.events.append(updated("P-2", ago(3), {"progress": 10}, {"progress": 20}))
    assert not o.of(K.STALE_PRIORITY)


def test_falling_confidence_is_found() -> None:
    o = healthy()
    o.p(2, confidence=55)
    o.events += [updated("P-2", ago(10), {"confidence": 80}, {"confidence": 70}),
                 updated("P-2", ago(3), {"confidence": 70}, {"confidence": 55})]  # fmt: skip
    r = only(o.risks(), K.FALLING_CONFIDENCE)
    assert (r.subject, r.owner) == ("P-2", "bob") and "from 80 to 55" in r.why


def test_falling_confidence_not_raised_for_a_small_or_old_drop() -> None:
    o = healthy()
    o.p(2, confidence=65)
    o.events += [updated("P-2", ago(30), {"confidence": 90}, {"confidence": 80}),
                 updated("P-2", ago(10), {"confidence": 80}, {"confidence": 70}),
                 updated("P-2", ago(3), {"confidence": 70}, {"confidence": 65})]  # fmt: skip
    assert not o.of(K.FALLING_CONFIDENCE)


def test_at_risk_priority_is_found() -> None:
    o = healthy()
    o.p(3, status=Status.OFF_TRACK, confidence=30)
    o.p(2, status=Status.AT_RISK)
    found = {r.subject: r for r in o.of(K.AT_RISK_PRIORITY)}
    assert found["P-3"].owner == "lena" and found["P-2"].owner == "bob"
    assert found["P-3"].score > found["P-2"].score


def test_at_risk_priority_not_raised_on_track_or_done() -> None:
    o = healthy()
    o.p(3, status=Status.DONE)
    assert not o.of(K.AT_RISK_PRIORITY)


def test_overdue_priority_is_found() -> None:
    o = healthy()
    o.p(2, due=date(2026, 11, 16))  # a week ago, still on-track and updated two days ago
    r = only(o.risks(), K.OVERDUE_PRIORITY)
    assert (r.subject, r.owner, r.evidence) == ("P-2", "bob", ("P-2", "payments"))
    assert "was due 2026-11-16, 7 days ago" in r.why and "on-track" in r.why
    assert "--due" in r.action


def test_overdue_priority_outranks_a_later_one_and_counts_importance() -> None:
    o = healthy()
    o.p(2, due=date(2026, 11, 20))
    o.p(3, due=date(2026, 11, 2))
    o.p(1, due=date(2026, 11, 20))  # org-level, as late as P-2
    found = {r.subject: r.score for r in o.of(K.OVERDUE_PRIORITY)}
    assert found["P-3"] > found["P-2"] and found["P-1"] > found["P-2"]


def test_overdue_priority_not_raised_on_its_day_or_once_closed() -> None:
    o = healthy()
    o.p(2, due=NOW.date())
    assert not o.of(K.OVERDUE_PRIORITY)
    o.p(2, due=date(2026, 11, 2), status=Status.DONE, progress=100)
    o.p(3, due=date(2026, 11, 2), status=Status.DROPPED)
    assert not o.of(K.OVERDUE_PRIORITY)


def test_rollup_mismatch_is_found() -> None:
    o = healthy()
    o.p(3, status=Status.OFF_TRACK)
    r = only(o.risks(), K.ROLLUP_MISMATCH)
    assert (r.subject, r.owner) == ("P-1", "ada")
    assert r.evidence[:2] == ("P-1", "P-3")
    assert r.why == "P-1 is reported on-track while P-3, aligned to it, is off-track."


def test_rollup_mismatch_names_every_off_track_child_and_grows_with_them() -> None:
    o = healthy()
    o.p(3, status=Status.OFF_TRACK)
    one = only(o.risks(), K.ROLLUP_MISMATCH).score
    o.p(2, status=Status.OFF_TRACK)
    r = only(o.risks(), K.ROLLUP_MISMATCH)
    assert r.evidence[:3] == ("P-1", "P-2", "P-3") and "P-2, P-3, aligned to it, are off-track" in r.why
    assert r.score > one


def test_rollup_mismatch_not_raised_when_the_parent_says_so_or_the_child_is_only_at_risk() -> None:
    o = healthy()
    o.p(3, status=Status.AT_RISK)
    assert not o.of(K.ROLLUP_MISMATCH)  # at-risk beneath on-track is what roll-ups show, not a contradiction
    o.p(3, status=Status.OFF_TRACK)
    o.p(1, status=Status.AT_RISK)
    assert not o.of(K.ROLLUP_MISMATCH)  # the parent no longer claims on-track
    o.p(1, status=Status.ON_TRACK)
    o.p(3, status=Status.DROPPED)
    assert not o.of(K.ROLLUP_MISMATCH)  # a dropped child is not off-track beneath anything


def test_unowned_priority_is_found() -> None:
    o = healthy()
    o.p(2, owner=None)
    o.p(1, owner=None)
    found = {r.subject: r for r in o.of(K.UNOWNED_PRIORITY)}
    assert found["P-2"].owner == "bob"  # the team lead names one
    assert found["P-1"].owner == "ada"  # an admin names one for an org priority
    assert "--owner" in found["P-2"].action


def test_unowned_priority_not_raised_for_dropped_ones() -> None:
    o = healthy()
    o.p(2, owner=None, status=Status.DROPPED)
    assert not o.of(K.UNOWNED_PRIORITY)


def test_unaligned_priority_is_found() -> None:
    o = healthy()
    o.p(3, parent=None)
    r = only(o.risks(), K.UNALIGNED_PRIORITY)
    assert (r.subject, r.owner, r.evidence) == ("P-3", "lena", ("P-3", "ledger"))
    assert "priority align P-3" in r.action


def test_unaligned_priority_not_raised_for_org_priorities() -> None:
    o = healthy()
    o.add_priority(4, None)
    o.add_priority(5, "ledger", parent=4, owner="lena")
    assert not o.of(K.UNALIGNED_PRIORITY)


def test_unsupported_priority_is_found() -> None:
    o = healthy()
    o.add_priority(4, None, owner=None)
    r = only(o.risks(), K.UNSUPPORTED_PRIORITY)
    assert (r.subject, r.owner, r.evidence) == ("P-4", "ada", ("P-4",))


def test_unsupported_priority_not_raised_when_a_team_priority_serves_it() -> None:
    o = healthy()
    o.p(3, status=Status.DONE)  # P-2 still serves P-1
    assert not o.of(K.UNSUPPORTED_PRIORITY)


# --- teams ----------------------------------------------------------------------------------


def test_team_overload_is_found() -> None:
    o = healthy()
    for n in range(3, 11):  # 9 open incoming with D-1, threshold 8
        o.add_dep(n, "payments", "ledger", state=DepState.ACCEPTED, committed=date(2026, 12, 20))
    r = only(o.risks(), K.TEAM_OVERLOAD)
    assert (r.subject, r.owner) == ("ledger", "lena")
    assert r.evidence[:3] == ("ledger", "D-1", "D-3") and "9 open incoming" in r.why


def test_team_overload_not_raised_at_the_threshold() -> None:
    o = healthy()
    for n in range(3, 10):
        o.add_dep(n, "payments", "ledger", state=DepState.ACCEPTED, committed=date(2026, 12, 20))
    for n in range(4, 9):  # 6 open priorities in payments with P-2: at the threshold
        o.add_priority(n, "payments", parent=1, owner="bob")
    assert not o.of(K.TEAM_OVERLOAD)
    o.add_priority(9, "payments", parent=1, owner="bob")
    assert only(o.risks(), K.TEAM_OVERLOAD).subject == "payments"


def test_low_participation_is_found() -> None:
    o = healthy()
    o.participation = [Participation("payments", 10, 4)]
    r = only(o.risks(), K.LOW_PARTICIPATION)
    assert (r.subject, r.owner) == ("payments", "bob") and "4 of 10" in r.why


def test_low_participation_not_raised_without_data_or_at_the_floor() -> None:
    o = healthy()
    o.participation = []
    assert not o.of(K.LOW_PARTICIPATION)
    o.participation = [Participation("payments", 10, 5), Participation("ledger", 0, 0)]
    assert not o.of(K.LOW_PARTICIPATION)


def test_dependency_cycle_is_found() -> None:
    o = healthy()
    o.add_dep(3, "ledger", "payments", state=DepState.ACCEPTED, committed=date(2026, 12, 20))
    r = only(o.risks(), K.DEPENDENCY_CYCLE)
    assert r.subject == "ledger" and r.evidence == ("ledger", "payments", "D-1", "D-3")
    assert r.owner == "ada"  # the lead of the team above both


def test_dependency_cycle_not_raised_through_closed_dependencies() -> None:
    o = healthy()  # D-2 (ledger → payments) is delivered: no cycle with D-1
    o.add_dep(3, "ledger", "payments", state=DepState.CANCELLED)
    assert not o.of(K.DEPENDENCY_CYCLE)


# --- the list as a whole --------------------------------------------------------------------


def test_closed_records_raise_nothing() -> None:
    o = healthy()
    o.d(1, state=DepState.CANCELLED, committed=date(2026, 1, 1), needed_by=date(2026, 1, 1))
    for n in (1, 2, 3):
        o.p(n, status=Status.DONE, owner=None, parent=None, updated_at=ago(100))
    o.add_blocker(3, raised_at=ago(40), state=BlockerState.RESOLVED, resolved_at=ago(1), resolved_by="bob")
    assert o.risks() == []


def test_ranked_by_score_then_kind_then_subject_and_deterministic() -> None:
    o = healthy()
    for n in (2, 3):
        o.p(n, owner=None, parent=None, updated_at=ago(30))
    o.add_priority(10, "ledger", parent=None, owner=None, updated_at=ago(30))
    first, again = o.risks(), o.risks()
    assert first == again
    keys = [(-r.score, r.kind.value, r.subject) for r in first]
    assert keys == sorted(keys, key=lambda k: (k[0], k[1], int(k[2].split("-")[1])))
    assert all(0 <= r.score <= 100 and r.evidence[0] == r.subject and r.action for r in first)


def test_thresholds_change_what_is_raised() -> None:
    o = healthy()
    o.add_blocker(3, raised_at=ago(3))
    assert not o.of(K.STALE_BLOCKER)
    assert o.of(K.STALE_BLOCKER, thresholds=Thresholds(stale_blocker_days=3))


def test_why_and_action_never_carry_typed_text() -> None:
    o = healthy()
    o.d(1, state=DepState.BLOCKED, blocked_reason="@here SECRET", updated_at=ago(30), committed=date(2027, 5, 1))
    o.add_dep(3, "ledger", "payments", created_at=ago(10), needed_by=date(2026, 11, 20))
    o.add_blocker(3, raised_at=ago(30), on="D-1")
    for n in (2, 3):
        o.p(n, status=Status.AT_RISK, owner=None, updated_at=ago(30), confidence=10)
    for r in o.risks():
        assert "SECRET" not in r.why + r.action and "thing" not in r.why + r.action
        assert "Priority" not in r.why + r.action
