"""The map reads at any size: measured on the drawn picture (matplotlib's own boxes and paths, in pixels),
at 3, 12, 123 and 1,000 teams, no label overlaps another or any line, everything lies inside a picture
of at most 1024 x 1024, every red or amber line is a dependency a risk names, and the legend counts
what is drawn."""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources

import pytest
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from bot.map_render import draw
from core.map_layout import MAX_ROWS, build_map
from core.mapgraph import EdgeColour, MapGraph
from core.model import Blocker, Dependency, DepState, Person, Priority, Status, Team, Workspace
from core.risk_engine import assess
from core.risks import Risk, Thresholds
from core.snapshot import Snapshot

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TODAY = NOW.date()


@dataclass
class Built:
    snapshot: Snapshot
    risks: list[Risk]


def organisation(tree: list[tuple[str, str | None]], deps: int, seed: int) -> Built:
    """Teams as given (handle, parent), a priority per team aligned to one of a few org priorities, and `deps`
    dependencies between random teams in every state, some of them overdue, blocked or unanswered."""
    rng = random.Random(seed)
    people = [Person("ada", "Ada", admin=True)] + [Person(f"p{i}", f"P{i}") for i in range(len(tree))]
    teams = [Team(h, h.title(), parent=p, leads=[f"p{i}"], members=[f"p{i}"], channel=h) for i, (h, p) in
             enumerate(tree)]  # fmt: skip
    at = NOW - timedelta(days=30)
    prios = [Priority(n, f"Org goal {n}", None, at, at, owner="ada", due=date(2027, 6, 30)) for n in (1, 2, 3)]
    for i, t in enumerate(teams):
        status = rng.choice([Status.ON_TRACK] * 4 + [Status.AT_RISK, Status.OFF_TRACK])
        updated, due = NOW - timedelta(days=rng.randint(0, 20)), TODAY + timedelta(days=rng.randint(-5, 120))
        prios.append(Priority(4 + i, f"Goal of {t.handle}", t.handle, at, updated, owner=f"p{i}",
                              parent=rng.randint(1, 3), due=due, status=status))  # fmt: skip
    dependencies = []
    states = [DepState.REQUESTED, DepState.ACCEPTED, DepState.ACCEPTED, DepState.BLOCKED, DepState.DECLINED,
              DepState.DELIVERED]  # fmt: skip
    for n in range(1, deps + 1):
        a, b = rng.sample(range(len(teams)), 2)
        state = rng.choice(states)
        created = NOW - timedelta(days=rng.randint(1, 20))
        needed = TODAY + timedelta(days=rng.randint(-6, 40))
        dependencies.append(Dependency(
            n, teams[a].handle, teams[b].handle, f"thing {n}", needed, created, created + timedelta(hours=1),
            for_priority=4 + a if rng.random() < 0.8 else None, state=state,
            committed=needed + timedelta(days=rng.randint(-2, 9)) if state is not DepState.REQUESTED else None,
            answered_at=created if state is not DepState.REQUESTED else None, requester_owner=f"p{a}",
            blocked_reason="waiting" if state is DepState.BLOCKED else None,
        ))  # fmt: skip
    blockers = [Blocker(1, "stuck", "p1", NOW - timedelta(days=9), team=teams[0].handle, on="D-1")]
    snapshot = Snapshot(Workspace("acme"), tuple(people), tuple(teams), tuple(prios), tuple(dependencies),
                        tuple(blockers), ())  # fmt: skip
    return Built(snapshot, assess(snapshot, NOW, Thresholds()))


def three() -> Built:
    return organisation([("product", None), ("payments", "product"), ("ledger", "product")], 4, seed=1)


def twelve() -> Built:
    tree: list[tuple[str, str | None]] = [("commerce", None), ("platform", None), ("growth", None)]
    tree += [(f"{p}-{k}", p) for p in ("commerce", "platform", "growth") for k in ("web", "api", "data")]
    return organisation(tree, 18, seed=2)


def rust_project() -> Built:
    """The demo's tree: the Rust project's 123 teams."""
    raw = json.loads(resources.files("bot.demo").joinpath("org-tree-rust-project.json").read_text(encoding="utf-8"))
    return organisation([(t["handle"], t["parent"]) for t in raw], 40, seed=3)


def thousand() -> Built:
    """1,000 teams four levels deep, and 3,000 dependencies: far more than a picture holds."""
    tree: list[tuple[str, str | None]] = [(f"div-{i}", None) for i in range(8)]
    while len(tree) < 1000:
        parent = tree[random.Random(len(tree)).randrange(len(tree))][0]
        tree.append((f"team-{len(tree)}-{'x' * (len(tree) % 23)}", parent))
    return organisation(tree, 3000, seed=4)


SIZES = {"3": three, "12": twelve, "123": rust_project, "1000": thousand}


def texts(fig: Figure) -> list[tuple[str, Bbox]]:
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    found = []
    for t in fig.findobj(Text):
        if not t.get_text() or not t.get_visible():
            continue
        box = t.get_window_extent(renderer)
        patch = t.get_bbox_patch()
        if patch is not None:
            box = Bbox.union([box, patch.get_window_extent(renderer)])
        found.append((str(t.get_gid()), box))
    return found


def lines(fig: Figure) -> list[tuple[str, list[tuple[float, float]]]]:
    """Every edge's drawn path (arrowheads included) as a polyline in pixels."""
    found = []
    for p in fig.findobj(FancyArrowPatch):
        path = p.get_transform().transform_path(p.get_path())
        for poly in path.to_polygons(closed_only=False):
            found.append((str(p.get_gid()), [(float(x), float(y)) for x, y in poly]))
    return found


def _crosses(box: Bbox, a: tuple[float, float], b: tuple[float, float]) -> bool:
    """Whether the segment a-b passes through the box (touching its border counts)."""
    (x0, y0), (x1, y1) = a, b
    t0, t1 = 0.0, 1.0
    for p, q in ((-(x1 - x0), x0 - box.x0), (x1 - x0, box.x1 - x0), (-(y1 - y0), y0 - box.y0), (y1 - y0, box.y1 - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        r = q / p
        if p < 0:
            t0 = max(t0, r)
        else:
            t1 = min(t1, r)
        if t0 > t1:
            return False
    return True


def check(graph: MapGraph, risks: list[Risk]) -> Figure:
    fig = draw(graph)
    fig.canvas.draw()  # type: ignore[attr-defined]
    width, height = fig.get_size_inches() * fig.dpi
    assert width <= 1024 and height <= 1024, (width, height)
    boxes = texts(fig)
    inside = Bbox([[0, 0], [width, height]])
    for gid, box in boxes:
        assert inside.x0 <= box.x0 and box.x1 <= inside.x1 and inside.y0 <= box.y0 and box.y1 <= inside.y1, (gid, box)
    for i, (a, box_a) in enumerate(boxes):
        for b, box_b in boxes[i + 1 :]:
            assert not box_a.overlaps(box_b), f"{a} overlaps {b}: {box_a} {box_b}"
    for gid, poly in lines(fig):
        for name, box in boxes:
            assert not any(_crosses(box, poly[k], poly[k + 1]) for k in range(len(poly) - 1)), f"{gid} runs over {name}"
    named = {i for r in risks for i in (r.subject, *r.evidence)}
    for e in graph.edges:
        if e.colour in (EdgeColour.RED, EdgeColour.AMBER):
            assert e.id in named, f"{e.id} is {e.colour.value} but no risk names it"
    legend = {str(t.get_gid()): t.get_text() for t in fig.findobj(Text) if str(t.get_gid()).startswith("legend:")}
    for colour in EdgeColour:
        m = re.search(r"\((\d+)\)$", legend[f"legend:{colour.value}"])
        assert m is not None and int(m.group(1)) == graph.count(colour), (colour, legend)
    drawn = {str(p.get_gid()).split(":")[1] for p in fig.findobj(FancyArrowPatch)}
    assert drawn == {e.id for e in graph.edges}
    return fig


@pytest.mark.parametrize("size", list(SIZES))
def test_no_label_overlaps_a_label_or_a_line_and_colours_match_risks(size: str) -> None:
    built = SIZES[size]()
    assert len(built.snapshot.teams) == int(size)
    graph = build_map(built.snapshot, built.risks, TODAY)
    assert graph.edges, "a picture with lines in it"
    check(graph, built.risks)
    first = next(t.handle for t in built.snapshot.teams if any(x.parent == t.handle for x in built.snapshot.teams))
    check(build_map(built.snapshot, built.risks, TODAY, first), built.risks)


def test_at_a_thousand_teams_only_teams_with_dependencies_and_their_ancestors_are_drawn() -> None:
    built = thousand()
    graph = build_map(built.snapshot, built.risks, TODAY)
    open_deps = [d for d in built.snapshot.dependencies if d.is_open]
    assert sum(graph.hidden.values()) + len(graph.edges) >= len(open_deps) > len(graph.edges) > 20
    ends = {e.from_team for e in graph.edges} | {e.to_team for e in graph.edges}
    parents = {t.handle: t.parent for t in built.snapshot.teams}
    above = set()
    for team in ends:
        p = parents[team]
        while p is not None:
            above.add(p)
            p = parents[p]
    assert {n.handle for n in graph.nodes} == ends | above
    assert len(graph.left) <= MAX_ROWS and len(graph.right) <= MAX_ROWS
    if graph.hidden.get(EdgeColour.RED):  # red dependencies are drawn before any other
        assert all(e.colour is EdgeColour.RED for e in graph.edges)


def test_an_edge_is_amber_only_when_a_risk_names_it() -> None:
    """The issue's case: D-1 drawn amber ("at risk") while `risks` found nothing about D-1."""
    built = three()
    graph = build_map(built.snapshot, [], TODAY)
    assert graph.edges and {e.colour for e in graph.edges} <= {EdgeColour.GREEN, EdgeColour.GREY}
    with_risks = build_map(built.snapshot, built.risks, TODAY)
    named = {i for r in built.risks for i in (r.subject, *r.evidence)}
    assert {e.id for e in with_risks.edges if e.colour in (EdgeColour.RED, EdgeColour.AMBER)} <= named


def test_same_graph_same_picture() -> None:
    from bot.map_render import render_png

    built = twelve()
    graph = build_map(built.snapshot, built.risks, TODAY)
    assert render_png(graph) == render_png(graph)
