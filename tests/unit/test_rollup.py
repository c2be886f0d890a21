"""Roll-ups (SPEC: Roll-ups): what a priority's open aligned children say, in lists, `show`, `me` and JSON."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core import commands as c
from core.model import Priority, Status
from core.rollup import Rollup, of_children, rollups
from tests.unit.conftest import Org


def _p(number: int, parent: int | None = 1, **kw: object) -> Priority:
    at = datetime(2026, 11, 1, tzinfo=UTC)
    return Priority(number=number, title=f"P{number}", team="t", created_at=at, updated_at=at, parent=parent, **kw)  # type: ignore[arg-type]


def test_counts_open_children_worst_status_lowest_confidence_mean_progress_half_up() -> None:
    found = of_children([
        _p(2, status=Status.AT_RISK, confidence=60, progress=10),
        _p(3, status=Status.ON_TRACK, confidence=None, progress=25),
        _p(4, status=Status.OFF_TRACK, confidence=70, progress=20),
        _p(5, status=Status.ON_TRACK, confidence=90, progress=3),
        _p(6, status=Status.DONE, confidence=5, progress=100),  # closed: not counted
        _p(7, status=Status.DROPPED, confidence=1, progress=0),
    ])  # fmt: skip
    assert found == Rollup(children=4, status=Status.OFF_TRACK, confidence=60, progress=15)  # 58 / 4 = 14.5 -> 15


def test_no_open_child_means_no_rollup_and_unknown_confidence_stays_unknown() -> None:
    assert of_children([_p(2, status=Status.DONE)]) is None
    assert of_children([_p(2, confidence=None, progress=40)]) == Rollup(1, Status.ON_TRACK, None, 40)


def test_rollups_are_per_direct_parent_only() -> None:
    found = rollups([_p(1, parent=None), _p(2, parent=1, progress=50), _p(3, parent=2, status=Status.OFF_TRACK)])
    assert found[1] == Rollup(1, Status.ON_TRACK, None, 50)  # P-3 is beneath P-2, not directly beneath P-1
    assert found[2].status is Status.OFF_TRACK and 3 not in found


@pytest.fixture
def tree(acme: Org) -> Org:
    acme.run("alice", c.PriorityAdd("Grow revenue", org=True, owner="alice"))  # P-1
    acme.run("pete", c.PriorityAdd("Ship refunds", owner="mia", parent=1))  # P-2
    acme.run("cleo", c.PriorityAdd("One-click checkout", owner="max", parent=1))  # P-3
    acme.run("mia", c.PriorityUpdate(2, status=Status.AT_RISK, confidence=50, progress=30))
    acme.run("max", c.PriorityUpdate(3, confidence=80, progress=45))
    return acme


def test_list_and_show_say_the_rollup_beside_the_own_status(tree: Org) -> None:
    text = tree.say("alice", c.PriorityList(team="org"))
    assert ("P-1 Grow revenue [org] on-track, 0% done, owner @alice · beneath it 2 aligned priorities: worst "
            "at-risk, lowest confidence 50, 38% done on average") in text  # fmt: skip
    shown = tree.say("alice", c.PriorityShow(1)).splitlines()
    assert shown[0].endswith(
        "· beneath it 2 aligned priorities: worst at-risk, lowest confidence 50, 38% done on average"
    )
    assert "Supported by: P-2 (at-risk), P-3 (on-track)" in shown


def test_json_reads_carry_rollup_null_without_children(tree: Org) -> None:
    listed = {p["id"]: p["rollup"] for p in tree.data("alice", c.PriorityList())}
    assert listed["P-1"] == {"children": 2, "status": "at-risk", "confidence": 50, "progress": 38}
    assert listed["P-2"] is None and listed["P-3"] is None
    assert tree.data("alice", c.PriorityShow(1))["rollup"]["children"] == 2
    tree.run("alice", c.PriorityDone(2))
    tree.run("alice", c.PriorityDrop(3, "merged"))
    assert tree.data("alice", c.PriorityShow(1))["rollup"] is None  # closed children do not roll up


def test_me_shows_the_rollup_of_my_priorities(tree: Org) -> None:
    mine = tree.data("alice", c.Me())["priorities"]
    assert [p["rollup"]["status"] for p in mine] == ["at-risk"]
    assert "beneath it 2 aligned priorities" in tree.say("alice", c.Me())
