"""What `map` draws: teams, and open dependencies coloured by state and risk (core, pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core import commands as c
from core.map_layout import MAX_ROWS, build_map
from core.mapgraph import EdgeColour
from core.risk_engine import assess
from core.risks import Risk, RiskKind, Thresholds
from core.snapshot import take_snapshot
from tests.unit.conftest import Org, when

RED, AMBER, GREEN, GREY = EdgeColour.RED, EdgeColour.AMBER, EdgeColour.GREEN, EdgeColour.GREY


@pytest.fixture
def planted(acme: Org) -> Org:
    """One dependency of every colour, and a few that are not drawn.

    D-1 payments → infra blocked · D-2 checkout → infra overdue (asked by +2d, seen a week on)
    D-3 payments → checkout accepted · D-4 infra → payments requested, and at risk (a Risk names it)
    D-5 checkout → payments requested · D-6 infra → checkout declined for open P-1
    D-7 payments → infra delivered · D-8 checkout → infra cancelled · D-9 infra → checkout committed late
    """
    acme.run("ian", c.PriorityAdd("Faster builds"))  # P-1 infra
    acme.run("mia", c.DepRequest("infra", "Cache", by=when("+3w")))
    acme.run("ivy", c.DepAccept(1))
    acme.run("mia", c.DepBlock(1, "vendor"))
    acme.run("max", c.DepRequest("infra", "Staging", by=when("+2d")))
    acme.run("mia", c.DepRequest("checkout", "Basket API", by=when("+3w")))
    acme.run("max", c.DepAccept(3))
    acme.run("ivy", c.DepRequest("payments", "Refund hook", by=when("+3w")))
    acme.run("max", c.DepRequest("payments", "Card form", by=when("+3w")))
    acme.run("ivy", c.DepRequest("checkout", "Build badge", by=when("+3w"), for_priority=1))
    acme.run("cleo", c.DepDecline(6, "no time"))
    acme.run("mia", c.DepRequest("infra", "Old thing", by=when("+1w")))
    acme.run("ivy", c.DepAccept(7))
    acme.run("ivy", c.DepDone(7))
    acme.run("max", c.DepRequest("infra", "Dropped", by=when("+1w")))
    acme.run("max", c.DepCancel(8))
    acme.run("ivy", c.DepRequest("checkout", "Late one", by=when("+1w")))
    acme.run("max", c.DepAccept(9, commit=when("+3w")))
    return acme


RISKS = [Risk(RiskKind.UNANSWERED_REQUEST, 60, "D-4", ("D-4", "payments"), "pete", "Answer D-4.")]
A_WEEK_ON = date(2026, 11, 30)


def graph(org: Org, team: str | None = None, risks: list[Risk] | None = None):  # type: ignore[no-untyped-def]
    with org.store(org.workspace) as uow:
        snapshot = take_snapshot(uow)
    found = risks if risks is not None else assess(snapshot, datetime(2026, 11, 30, 9, 0, tzinfo=UTC), Thresholds())
    return build_map(snapshot, found, A_WEEK_ON, team)


def test_every_open_dependency_gets_the_colour_risks_give_it(planted: Org) -> None:
    """Here every team depends on every other: the engine finds a cycle, and it names all of them."""
    g = graph(planted)
    assert [(e.id, e.from_team, e.to_team, e.colour, e.reason) for e in g.edges] == [
        ("D-1", "payments", "infra", RED, "blocked"),
        ("D-2", "checkout", "infra", RED, "overdue"),
        ("D-6", "infra", "checkout", RED, "declined"),
        ("D-3", "payments", "checkout", AMBER, "in a cycle"),
        ("D-4", "infra", "payments", AMBER, "in a cycle"),
        ("D-5", "checkout", "payments", AMBER, "in a cycle"),
        ("D-9", "infra", "checkout", AMBER, "in a cycle"),
    ]
    assert {e.id: e.risks for e in g.edges}["D-2"] == ("dependency_cycle", "overdue_dependency", "unanswered_request")
    assert (g.count(RED), g.count(AMBER), g.count(GREEN), g.count(GREY)) == (3, 4, 0, 0)


def test_a_colour_only_where_a_risk_names_the_dependency(planted: Org) -> None:
    """The issue: D-1 drawn amber while `risks` found nothing about D-1. Without risks, nothing is red or amber;
    with one risk naming D-4, only D-4 is."""
    g = graph(planted, risks=[])
    assert {e.colour for e in g.edges} <= {GREEN, GREY}
    assert [(e.id, e.reason) for e in g.edges if e.colour is GREY] == [
        ("D-1", "just blocked"), ("D-2", "requested"), ("D-4", "requested"), ("D-5", "requested"), ("D-6", "declined"),
    ]  # fmt: skip
    assert {e.id: e.colour for e in g.edges}["D-9"] is GREEN  # committed after it was needed, yet no risk: green
    one = graph(planted, risks=RISKS)
    assert [(e.id, e.colour, e.reason, e.risks) for e in one.edges if e.colour is not GREEN and e.colour is not GREY] \
        == [("D-4", AMBER, "unanswered", ("unanswered_request",))]  # fmt: skip


def test_rows_list_the_asking_and_providing_teams_under_their_parents(planted: Org) -> None:
    g = graph(planted)
    assert [(r.handle, r.team) for r in g.left] == [
        ("infra", True),
        ("product", False),
        ("checkout", True),
        ("payments", True),
    ]
    assert [(r.handle, r.team) for r in g.right if not r.team] == [("product", False)]
    assert g.file_stem == "map" and g.focus is None and g.as_of == A_WEEK_ON


def test_a_declined_request_drops_off_once_its_priority_is_closed(planted: Org) -> None:
    planted.run("ian", c.PriorityDone(1))
    assert "D-6" not in {e.id for e in graph(planted).edges}


def test_a_team_and_the_teams_beneath_it(planted: Org) -> None:
    planted.run("alice", c.TeamCreate("search", "Search", parent="product"))
    planted.run("alice", c.TeamCreate("web", "Web"))
    planted.run("alice", c.TeamAdd("web", ("wendy",)))
    planted.run("wendy", c.DepRequest("search", "Index", by=when("+3w")))  # D-10 web → search
    g = graph(planted, "payments")
    assert {e.id for e in g.edges} == {"D-1", "D-3", "D-4", "D-5"}  # every dependency payments asks or provides
    assert [n.handle for n in g.nodes if n.focus] == ["payments"]
    assert g.file_stem == "map-payments" and g.title == "Dependencies of payments"
    p = graph(planted, "product")
    assert {e.id for e in p.edges} == {"D-1", "D-2", "D-3", "D-4", "D-5", "D-6", "D-9", "D-10"}
    assert p.title == "Dependencies of product and the 3 teams beneath it"


def test_a_picture_has_room_for_so_many_rows_and_counts_the_rest(planted: Org) -> None:
    for n in range(60):
        planted.run("alice", c.TeamCreate(f"t{n}", f"T{n}"))
        planted.run("alice", c.TeamAdd(f"t{n}", (f"u{n}",)))
        planted.run(f"u{n}", c.DepRequest("infra", f"Thing {n}", by=when("+3w")))
    g = graph(planted)
    assert len(g.left) <= MAX_ROWS and len(g.right) <= MAX_ROWS and len(g.edges) <= MAX_ROWS
    assert sum(g.hidden.values()) + len(g.edges) == 67
    assert g.to_json()["not_drawn"] == {k.value: v for k, v in g.hidden.items() if v}
    assert [e.colour for e in g.edges][:3] == [RED, RED, RED]  # the most urgent are drawn first


def test_to_json(planted: Org) -> None:
    data = graph(planted, "checkout").to_json()
    assert data["focus"] == "checkout" and data["as_of"] == "2026-11-30"
    d6 = next(d for d in data["dependencies"] if d["id"] == "D-6")
    assert d6 == {"id": "D-6", "from_team": "infra", "to_team": "checkout", "state": "declined", "colour": "red",
                  "reason": "declined", "risks": ["endangered_priority"]}  # fmt: skip
    assert {t["handle"]: t["drawn"] for t in data["teams"]}["product"] is False  # a heading only
