"""The graph under the risk engine: propagation up the alignment chain, cycles, slack,
working days and commitment reliability."""

from __future__ import annotations

from datetime import date

from core.graph import Graph, reliability_of, team_cycles
from core.model import DepState, Status, Team
from core.risks import RiskKind
from core.workdays import add_working_days, is_working_day, working_days_between
from tests.unit.riskorg import NOW, TODAY, OrgRecords, ago, healthy

K = RiskKind


def three_levels() -> OrgRecords:
    """org P-1 ← product P-5 ← payments P-6 ← D-1 (payments → ledger)."""
    o = healthy()
    o.add_priority(5, "product", parent=1, owner="ada", rank=1)
    o.add_priority(6, "payments", parent=5, owner="bob", rank=2)
    o.d(1, for_priority=6)
    return o


def test_a_blocked_dependency_endangers_its_priority_and_every_ancestor_to_org_level() -> None:
    o = three_levels()
    o.d(1, state=DepState.BLOCKED, blocked_from=DepState.ACCEPTED)
    found = {r.subject: r for r in o.of(K.ENDANGERED_PRIORITY)}
    assert set(found) == {"P-6", "P-5", "P-1"}
    assert [r.subject for r in sorted(found.values(), key=lambda r: -r.score)] == ["P-1", "P-5", "P-6"]
    assert found["P-1"].evidence[:3] == ("P-1", "D-1", "P-6")
    assert (found["P-5"].owner, found["P-6"].owner) == ("ada", "bob")
    assert "through P-6" in found["P-1"].why


def test_overdue_and_declined_dependencies_propagate_too() -> None:
    o = three_levels()
    o.d(1, committed=date(2026, 11, 20), needed_by=date(2026, 11, 20))
    assert {r.subject for r in o.of(K.ENDANGERED_PRIORITY)} == {"P-6", "P-5", "P-1"}
    o.d(1, state=DepState.DECLINED, committed=None, answered_at=ago(0.5))
    found = o.of(K.ENDANGERED_PRIORITY)
    assert {r.subject for r in found} == {"P-6", "P-5", "P-1"}
    assert all("D-1 (declined)" in r.why for r in found)


def test_a_closed_link_in_the_chain_does_not_stop_propagation_but_is_not_itself_endangered() -> None:
    o = three_levels()
    o.d(1, state=DepState.BLOCKED)
    o.p(5, status=Status.DONE)
    assert {r.subject for r in o.of(K.ENDANGERED_PRIORITY)} == {"P-6", "P-1"}


def test_ancestors_survive_an_alignment_loop() -> None:
    o = healthy()
    o.p(2, parent=3)
    o.p(3, parent=2)
    g = Graph(o.snapshot())
    assert g.ancestors(2) == (3,)
    assert g.ancestors(3) == (2,)
    o.risks()  # terminates


def test_slack_is_the_tightest_due_date_along_the_chain() -> None:
    o = three_levels()
    o.p(6, due=date(2027, 1, 31))
    o.p(5, due=date(2026, 12, 31))
    o.p(1, due=date(2027, 6, 30))
    g = Graph(o.snapshot())
    assert g.slack(g.dependencies[1]) == (21, 5)  # arrives 2026-12-10, P-5 due 2026-12-31


def test_cycles_are_strongly_connected_groups_in_a_stable_order() -> None:
    edges = [("c", "a", "D-5"), ("a", "b", "D-1"), ("b", "c", "D-2"), ("b", "a", "D-10"),
             ("x", "y", "D-3"), ("y", "x", "D-4"), ("c", "z", "D-6"), ("q", "q", "D-7")]  # fmt: skip
    found = team_cycles(edges)
    assert found == [(("a", "b", "c"), ("D-1", "D-2", "D-5", "D-10")), (("x", "y"), ("D-3", "D-4"))]
    assert team_cycles(list(reversed(edges))) == found
    assert team_cycles([("a", "b", "D-1"), ("b", "c", "D-2")]) == []


def test_a_three_team_cycle_is_one_risk() -> None:
    o = healthy()
    o.teams.append(Team("search", "Search", parent=None, leads=["sam"], members=["sam"]))
    o.add_dep(3, "ledger", "search", state=DepState.ACCEPTED, committed=date(2026, 12, 20))
    o.add_dep(4, "search", "payments", state=DepState.ACCEPTED, committed=date(2026, 12, 20))
    (r,) = o.of(K.DEPENDENCY_CYCLE)
    assert r.evidence == ("ledger", "payments", "search", "D-1", "D-3", "D-4")
    assert r.owner == "lena"  # no team above all three: the first team's lead


def test_a_long_chain_of_teams_does_not_hit_the_recursion_limit() -> None:
    n = 5000
    edges = [(f"t{i}", f"t{i + 1}", f"D-{i}") for i in range(n)] + [(f"t{n}", "t0", f"D-{n}")]
    ((teams, deps),) = team_cycles(edges)
    assert len(teams) == n + 1 and len(deps) == n + 1


def test_working_days_skip_weekends() -> None:
    fri, sat, mon, tue = date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 23), date(2026, 11, 24)
    assert working_days_between(fri, tue) == 2
    assert working_days_between(fri, sat) == 0
    assert working_days_between(sat, mon) == 1
    assert working_days_between(mon, mon) == 0
    assert working_days_between(tue, fri) == 0
    assert working_days_between(date(2026, 11, 2), date(2026, 11, 30)) == 20
    assert add_working_days(fri, 1) == mon
    assert add_working_days(fri, 5) == date(2026, 11, 27)
    assert not is_working_day(sat) and is_working_day(mon)


def test_working_days_skip_a_teams_holidays() -> None:
    fri, tue = date(2026, 11, 20), date(2026, 11, 24)
    assert working_days_between(fri, tue, {"2026-11-23"}) == 1
    assert working_days_between(fri, tue, {"2026-11-22", "2026-12-25", "2026-11-20"}) == 2
    assert add_working_days(fri, 1, {"2026-11-23"}) == tue


def test_a_teams_skip_dates_delay_the_unanswered_alarm() -> None:
    o = healthy()
    o.add_dep(3, "payments", "ledger", created_at=ago(5))  # Wednesday
    assert o.of(K.UNANSWERED_REQUEST)
    o.skip_dates = {"ledger": frozenset({"2026-11-20"})}
    assert not o.of(K.UNANSWERED_REQUEST)


def test_commitment_reliability_over_ninety_days() -> None:
    o = healthy()  # D-2: payments delivered on time 30 days ago
    o.add_dep(3, "ledger", "payments", state=DepState.DELIVERED, committed=date(2026, 11, 1),
              delivered_at=ago(20), answered_at=ago(40))  # late  # fmt: skip
    o.add_dep(4, "ledger", "payments", state=DepState.ACCEPTED, committed=date(2026, 11, 10))  # open, past
    o.add_dep(5, "ledger", "payments", state=DepState.ACCEPTED, committed=date(2026, 12, 10))  # not due yet
    o.add_dep(6, "ledger", "payments", state=DepState.DELIVERED, committed=date(2026, 6, 1),
              delivered_at=ago(200))  # outside the window  # fmt: skip
    o.add_dep(7, "ledger", "payments", state=DepState.DECLINED)
    r = reliability_of("payments", o.snapshot().dependencies, TODAY)
    assert (r.on_time, r.due, r.percent) == (1, 3, 33)
    assert reliability_of("ledger", o.snapshot().dependencies, TODAY).rate is None


def test_unreliable_providers_score_higher() -> None:
    def overdue_score(days_late: int) -> int:
        o = healthy()
        o.add_dep(3, "payments", "ledger", state=DepState.ACCEPTED, committed=date(2026, 11, 18))
        for n in range(4, 10):
            o.add_dep(n, "search", "ledger", state=DepState.DELIVERED, committed=date(2026, 10, 1),
                      delivered_at=ago(53 - days_late))  # fmt: skip
        (r,) = [x for x in o.of(K.OVERDUE_DEPENDENCY) if x.subject == "D-3"]
        return r.score

    assert overdue_score(days_late=3) > overdue_score(days_late=0)
    assert NOW.weekday() == 0
