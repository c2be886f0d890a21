"""What `map` draws: teams, and open dependencies coloured by state and risk (core, pure)."""

from __future__ import annotations

from datetime import date

import pytest

from core import commands as c
from core.mapgraph import EdgeColour, build_map
from core.risks import Risk, RiskKind
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


def graph(org: Org, team: str | None = None):  # type: ignore[no-untyped-def]
    with org.store(org.workspace) as uow:
        return build_map(take_snapshot(uow), RISKS, A_WEEK_ON, team)


def test_every_open_dependency_gets_its_colour(planted: Org) -> None:
    g = graph(planted)
    assert [(e.id, e.from_team, e.to_team, e.colour, e.reason) for e in g.edges] == [
        ("D-1", "payments", "infra", RED, "blocked"),
        ("D-2", "checkout", "infra", RED, "overdue"),
        ("D-6", "infra", "checkout", RED, "declined"),
        ("D-4", "infra", "payments", AMBER, "at risk"),
        ("D-9", "infra", "checkout", AMBER, "committed late"),
        ("D-3", "payments", "checkout", GREEN, "accepted"),
        ("D-5", "checkout", "payments", GREY, "requested"),
    ]
    assert (g.count(RED), g.count(AMBER), g.count(GREEN), g.count(GREY)) == (3, 2, 1, 1)


def test_the_whole_org_has_every_team_grouped_by_programme(planted: Org) -> None:
    g = graph(planted)
    assert [(n.handle, n.parent, n.programme, n.depth) for n in g.nodes] == [
        ("infra", None, "infra", 0),
        ("product", None, "product", 0),
        ("checkout", "product", "product", 1),
        ("payments", "product", "product", 1),
    ]
    assert g.programmes() == ["infra", "product"]
    assert g.file_stem == "map" and g.focus is None and g.as_of == A_WEEK_ON


def test_a_declined_request_drops_off_once_its_priority_is_closed(planted: Org) -> None:
    planted.run("ian", c.PriorityDone(1))
    assert "D-6" not in {e.id for e in graph(planted).edges}


def test_team_neighbourhood(planted: Org) -> None:
    planted.run("alice", c.TeamCreate("search", "Search", parent="product"))
    planted.run("alice", c.TeamCreate("web", "Web"))
    planted.run("alice", c.TeamAdd("web", ("wendy",)))
    planted.run("wendy", c.DepRequest("search", "Index", by=when("+3w")))  # D-10 web → search
    g = graph(planted, "payments")
    assert {n.handle for n in g.nodes} == {"payments", "product", "infra", "checkout"}
    assert [n.handle for n in g.nodes if n.focus] == ["payments"]
    assert g.file_stem == "map-payments"
    assert "D-10" not in {e.id for e in g.edges}
    s = graph(planted, "search")
    assert {n.handle for n in s.nodes} == {"search", "product", "web"}
    assert [e.id for e in s.edges] == ["D-10"]
    p = graph(planted, "product")
    assert {n.handle for n in p.nodes} == {"product", "payments", "checkout", "search"}
    assert {e.id for e in p.edges} == {"D-3", "D-5"}  # between its children; infra is two hops away


def test_to_json(planted: Org) -> None:
    data = graph(planted, "checkout").to_json()
    assert data["focus"] == "checkout" and data["as_of"] == "2026-11-30"
    assert {"id": "D-6", "from_team": "infra", "to_team": "checkout", "state": "declined", "colour": "red",
            "reason": "declined"} in data["dependencies"]  # fmt: skip
