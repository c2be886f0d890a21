"""The escalation ladder: level 1 at the threshold, level 2 at twice it, each rung once."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from core import commands as c
from core.dates import DateSpec
from core.escalation import escalate, escalations, sent_keys
from core.model import DepState, Event
from core.reply import Notice
from core.risks import Thresholds
from tests.unit.conftest import Org
from tests.unit.riskorg import NOW, OrgRecords, ago, healthy

TH = Thresholds(escalation_days=5)


def climb(o: OrgRecords, days: float, sent: frozenset[str] = frozenset()) -> tuple[list[Notice], list[Event]]:
    return escalations(o.snapshot(), NOW + timedelta(days=days), TH, sent)


def test_a_blocker_reaches_the_providing_teams_leads_at_the_threshold() -> None:
    o = healthy()  # B-2 on D-1 (payments → ledger), raised a day ago
    notices, events = climb(o, 3.9)
    assert (notices, events) == ([], [])
    notices, events = climb(o, 4)
    assert [(n.person, n.key) for n in notices] == [("lena", "escalate:B-2:1:@lena")]
    assert [(e.kind, e.subject, e.data["key"], e.data["to"]) for e in events] == [
        ("escalation.sent", "B-2", "escalate:B-2:1", ["lena"])
    ]
    assert "level 1" in "".join(s for s in notices[0].lines[0] if isinstance(s, str))


def test_level_two_goes_to_the_parent_teams_leads_at_twice_the_threshold_and_never_twice() -> None:
    o = healthy()
    _, first = climb(o, 4)
    sent = sent_keys(first)
    notices, events = climb(o, 9, sent)
    assert [(n.person, n.key) for n in notices] == [("ada", "escalate:B-2:2:@ada")]
    assert [e.data["level"] for e in events] == [2]
    sent |= sent_keys(events)
    assert climb(o, 30, sent) == ([], [])


def test_both_rungs_at_once_when_nobody_looked_for_a_while() -> None:
    o = healthy()
    notices, events = climb(o, 20)
    assert [n.key for n in notices] == ["escalate:B-2:1:@lena", "escalate:B-2:2:@ada"]
    assert [e.data["level"] for e in events] == [1, 2]


def test_a_blocked_dependency_climbs_too_and_a_top_team_goes_to_the_admins() -> None:
    o = healthy()
    o.blockers.clear()
    o.teams = [replace(t, parent=None) if t.handle == "ledger" else t for t in o.teams]
    o.d(1, state=DepState.BLOCKED, blocked_from=DepState.ACCEPTED, updated_at=ago(10), blocked_reason="@here help")
    notices, events = climb(o, 0)
    assert [(n.person, n.key) for n in notices] == [("lena", "escalate:D-1:1:@lena"), ("ada", "escalate:D-1:2:@ada")]
    assert events[1].data["team"] is None


def test_resolved_blockers_and_unblocked_dependencies_do_not_climb() -> None:
    o = healthy()
    o.blockers.clear()
    o.d(1, updated_at=ago(30))
    assert climb(o, 30) == ([], [])


def test_escalate_records_what_it_sent_so_the_next_run_sends_nothing(acme: Org) -> None:
    acme.run("pete", c.DepRequest("infra", "Keys", DateSpec("2026-12-10"), team="payments"))
    acme.run("ian", c.BlockerAdd("HSM not ordered", team="infra", on="D-1"))
    store, later = acme.store, acme.now + timedelta(days=11)
    with store("acme") as uow:
        notices = escalate(uow, later)
        uow.commit()
    assert [n.person for n in notices] == ["ian", "alice"]  # infra has no parent: the admins
    with store("acme") as uow:
        assert escalate(uow, later + timedelta(days=1)) == []
    assert [e.data["level"] for e in acme.events("escalation.sent")] == [1, 2]
