"""`map` as a picture: the console writes a PNG; the renderer copes with a big organisation."""

from __future__ import annotations

import io
import random
import struct
from datetime import UTC, date, datetime
from pathlib import Path

from bot.console import Console
from bot.map_render import render_png
from core.fakes import FakeStore, FixedClock
from core.mapgraph import EdgeColour, MapEdge, MapGraph, MapNode
from core.model import DepState

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_console_map_writes_a_png_and_says_where(tmp_path: Path) -> None:
    out = io.StringIO()
    console = Console(FakeStore(), FixedClock(NOW), "ada", out=out, files=tmp_path)
    for speaker, text in [
        ("ada", 'team create product "Product"'),
        ("ada", 'team create payments "Payments" --parent product'),
        ("ada", 'team create ledger "Ledger"'),
        ("ada", "team add payments @bob"),
        ("ada", "team add ledger @lena"),
        ("bob", 'dep request ledger "Ledger API keys" --by +1w'),
        ("bob", 'dep block D-1 "vendor"'),
    ]:
        assert not console.command(text, speaker).refused, text
    out.truncate(0), out.seek(0)
    console.command("map")
    console.command("map --team payments")
    assert out.getvalue().splitlines() == [
        "Dependency map of the whole organisation: 3 teams in 2 programmes; 1 open dependency (1 red).",
        "In red: D-1 payments → ledger (blocked).",
        "Red: blocked, declined or overdue · amber: at risk · green: accepted · grey: requested, not answered yet.",
        f"Picture written to {tmp_path / 'map.png'}",
        "Dependency map of payments: 3 teams (its parent, children and the teams it depends on or serves); "
        "1 open dependency (1 red).",
        "In red: D-1 payments → ledger (blocked).",
        "Red: blocked, declined or overdue · amber: at risk · green: accepted · grey: requested, not answered yet.",
        f"Picture written to {tmp_path / 'map-payments.png'}",
    ]
    for name in ("map.png", "map-payments.png"):
        width, height = png_size((tmp_path / name).read_bytes())
        assert 600 <= width <= 4000 and 300 <= height <= 4000, (name, width, height)


def big_graph(teams: int = 120, edges: int = 60, focus: str | None = None) -> MapGraph:
    rng = random.Random(3)
    nodes: list[MapNode] = []
    for i in range(teams):
        programme = f"programme-{i % 8}"
        handle = programme if i < 8 else f"team-{i}-{'x' * (i % 12)}"
        nodes.append(MapNode(handle, handle, None if i < 8 else programme, programme, 0 if i < 8 else 1,
                             focus=handle == focus))  # fmt: skip
    colours = list(EdgeColour)
    deps = [MapEdge(f"D-{k + 1}", nodes[rng.randrange(teams)].handle, nodes[rng.randrange(teams)].handle,
                    DepState.ACCEPTED, colours[k % 4], "x") for k in range(edges)]  # fmt: skip
    deps = [e for e in deps if e.from_team != e.to_team]
    return MapGraph(focus=focus, nodes=tuple(sorted(nodes, key=lambda n: (n.programme, n.depth, n.handle))),
                    edges=tuple(deps), as_of=date(2026, 11, 23))  # fmt: skip


def test_a_big_organisation_gives_a_legible_reproducible_picture() -> None:
    graph = big_graph()
    data = render_png(graph)
    width, height = png_size(data)
    # legible: about 25 px a row of names (8 pt at 110 dpi is ~12 px), and not absurdly large
    assert 1200 <= width <= 3500 and 1000 <= height <= 3000, (width, height)
    assert render_png(graph) == data, "the same graph must give the same picture"


def test_neighbourhood_picture() -> None:
    graph = big_graph(teams=12, edges=10, focus="programme-1")
    width, height = png_size(render_png(graph))
    assert 900 <= width <= 3000 and 500 <= height <= 2500, (width, height)
