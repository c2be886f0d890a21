"""`map` as a picture: the console writes a PNG; the renderer copes with a big organisation."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime
from pathlib import Path

from matplotlib.text import Text

from bot.console import Console
from bot.map_render import draw, render_png
from core.fakes import FakeStore, FixedClock
from core.map_layout import build_map
from tests.adapters.test_map_layout import TODAY, rust_project, three

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
    legend = (
        "Red: blocked, declined or overdue · amber: at risk, as `risks` says · green: accepted, no risk · grey: "
        "waiting for an answer (or just blocked), no risk yet."
    )
    assert out.getvalue().splitlines() == [
        "Dependency map of the whole organisation: 1 open dependency (1 red) between 2 teams.",
        "In red: D-1 payments → ledger (blocked).",
        legend,
        f"Picture written to {tmp_path / 'map.png'}",
        "Dependency map of payments: 1 open dependency (1 red) between 2 teams.",
        "In red: D-1 payments → ledger (blocked).",
        legend,
        f"Picture written to {tmp_path / 'map-payments.png'}",
    ]
    for name in ("map.png", "map-payments.png"):
        width, height = png_size((tmp_path / name).read_bytes())
        assert 500 <= width <= 1024 and 200 <= height <= 1024, (name, width, height)


def test_a_big_organisation_gives_a_picture_for_chat_and_the_same_one_each_time() -> None:
    built = rust_project()
    graph = build_map(built.snapshot, built.risks, TODAY)
    data = render_png(graph)
    width, height = png_size(data)
    assert 900 <= width <= 1024 and 700 <= height <= 1024, (width, height)  # chat shows it unscaled
    assert render_png(graph) == data, "the same graph must give the same picture"


def test_a_small_organisation_is_spread_out_not_crammed_in_a_corner() -> None:
    built = three()
    graph = build_map(built.snapshot, built.risks, TODAY)
    fig = draw(graph)
    fig.canvas.draw()  # type: ignore[attr-defined]
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    names = [t.get_window_extent(renderer) for t in fig.findobj(Text) if str(t.get_gid()).startswith("name:")]
    width, height = fig.get_size_inches() * fig.dpi
    xs = [b.x0 for b in names] + [b.x1 for b in names]
    ys = [b.y0 for b in names] + [b.y1 for b in names]
    assert max(xs) - min(xs) > 0.6 * width and max(ys) - min(ys) > 0.25 * height
