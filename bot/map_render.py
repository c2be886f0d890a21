"""Draw a core MapGraph as a PNG with matplotlib (Agg: no display, no system binary).

The layout is three columns, computed (not simulated), so the same graph always gives the same
picture and nothing can land on anything else:

    teams that ask ●──╮                 ╭──▶● teams that provide
                      ╰──[ D-7 blocked ]─╯

The teams that ask sit on the left, their names to the left of their dots; the teams that provide on
the right, names to the right; each dependency is a coloured line from the asking team's dot through
its id label, in the middle column, to an arrow at the providing team's dot. Lines live only in the
two bands between the columns, labels only in the columns, so no label ever sits on a line or on
another label (a test measures every box at 3, 12, 123 and 1,000 teams). Teams above the drawn teams
head their groups. Everything is sized in pixels for chat: at most 1024 x 1024.
"""

from __future__ import annotations

import functools
import io
from dataclasses import dataclass
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch
from matplotlib.path import Path as MplPath

from core.mapgraph import DESCRIPTIONS, ORDER, EdgeColour, MapEdge, MapGraph, Row

COLOURS = {
    EdgeColour.RED: "#d62728",
    EdgeColour.AMBER: "#e08700",
    EdgeColour.GREEN: "#2ca02c",
    EdgeColour.GREY: "#9a9a9a",
}
DPI = 100
MAX_SIDE = 1024
"""Pixels: chat clients show a picture this size without scaling it down."""
MARGIN = 16
TITLE_H = 36
HEAD_H = 28
LEGEND_ROW = 22
GAP = 8
"""Between a team's dot and its name."""
PAD = 6
"""Between a line and the middle label it runs into."""
DOT = 4.5
ROW_MIN, ROW_MAX = 17.0, 46.0
BAND_MIN, BAND_MAX = 60.0, 300.0
INDENT = 14.0
"""How much further out a heading sits than the teams beneath it."""
LABEL_MAX = 230.0
"""The widest a team's name may be drawn; longer ones are cut with an ellipsis."""
ID_ONLY = 16
"""Past this many dependencies, the middle labels say only the id (the reason is in the text reply)."""
INK, QUIET, HEADING = "#1a1a1a", "#6b6b6b", "#8a8a8a"
COLUMN_TITLES = {"left": "Teams that ask", "right": "Teams that provide"}


@functools.cache
def _measure() -> RendererAgg:
    """A renderer at the picture's resolution, to measure text exactly as it will be drawn."""
    return RendererAgg(64, 64, DPI)  # type: ignore[no-untyped-call]


def _font(size: float, weight: str = "normal") -> FontProperties:
    return FontProperties(family="DejaVu Sans", size=size, weight=weight)


def _width(text: str, font: FontProperties) -> float:
    return float(_measure().get_text_width_height_descent(text, font, ismath=False)[0])  # type: ignore[no-untyped-call]


def _height(font: FontProperties) -> float:
    return float(_measure().get_text_width_height_descent("Dg‹", font, ismath=False)[1])  # type: ignore[no-untyped-call]


def _fit(text: str, font: FontProperties, limit: float) -> str:
    """The text, cut with an ellipsis until it is at most `limit` pixels wide."""
    if _width(text, font) <= limit:
        return text
    while len(text) > 1 and _width(text + "…", font) > limit:
        text = text[:-1]
    return text + "…"


@dataclass(frozen=True)
class Layout:
    """Where everything goes, in pixels from the bottom-left corner of the picture."""

    width: float
    height: float
    size: float
    """Font size (points) of names and labels."""
    x_left: float
    """The asking teams' dots."""
    x_mid: float
    mid_width: float
    x_right: float
    """The providing teams' dots."""
    body_top: float
    body_bottom: float
    left: dict[str, float]
    """Team (or heading) -> y, asking side."""
    right: dict[str, float]
    slots: dict[str, float]
    """Dependency id -> y of its middle label."""
    labels: dict[str, str]
    """Dependency id -> its middle label text."""
    names: dict[tuple[str, str], str]
    """(side, handle) -> the name as drawn (cut to fit)."""
    offsets: dict[tuple[str, str], float]
    """(side, handle) -> how far further from the dots than the column's edge the name sits."""
    legend: list[list[tuple[EdgeColour | None, str]]]
    """Rows of legend entries (a colour and its text; None for a plain note)."""


def _spread(rows: int, top: float, bottom: float) -> list[float]:
    step = (top - bottom) / max(rows, 1)
    return [top - (i + 0.5) * step for i in range(rows)]


def _row_text(row: Row, font: FontProperties) -> str:
    """A team's handle; a heading (the team above the drawn ones) with the teams above it, ending with a
    colon, cut from the left when too long (the nearest team matters most)."""
    if row.team:
        return _fit(row.handle, font, LABEL_MAX)
    text = " › ".join((*row.trail, row.handle)) + ":"
    if _width(text, font) <= LABEL_MAX:
        return text
    while len(text) > 2 and _width("…" + text, font) > LABEL_MAX:
        text = text[1:]
    return "…" + text


def layout(graph: MapGraph) -> Layout:
    edges = list(graph.edges)
    rows = max(len(graph.left), len(graph.right), len(edges), 1)
    most = 4 if any(graph.hidden.values()) else 3  # legend rows at most: entries (1-2), the arrows, what is hidden
    step = min(ROW_MAX, max(ROW_MIN, (MAX_SIDE - _fixed(most)) / rows))
    size = 11.0 if step >= 30 else 10.0 if step >= 22 else 8.0
    name_font = _font(size)
    if step < _height(name_font) + 4:  # ROW_MIN holds the smallest size: a guard for other fonts
        raise AssertionError(f"rows of {step:.1f} px cannot hold {size} pt text")
    names: dict[tuple[str, str], str] = {}
    widths = {"left": 0.0, "right": 0.0}
    offsets: dict[tuple[str, str], float] = {}
    focus = {n.handle for n in graph.nodes if n.focus}
    for side, column in (("left", graph.left), ("right", graph.right)):
        under = {r.handle for r in column}
        worst = _worst(graph.edges, side)
        for row in column:
            font = _name_font(size, row, worst.get(row.handle), row.handle in focus)
            text = _row_text(row, font)
            names[(side, row.handle)] = text
            offsets[(side, row.handle)] = _offset(side, row, under, graph)
            widths[side] = max(widths[side], _width(text, font) + offsets[(side, row.handle)])
        widths[side] = max(widths[side], _width(COLUMN_TITLES[side], _font(9, "bold")))
    label_font = _font(size, "bold")
    labels = {e.id: (e.id if len(edges) > ID_ONLY else f"{e.id} {e.reason}") for e in edges}
    mid_width = max([_width(t, label_font) for t in labels.values()] + [_width("Dependency", _font(9, "bold"))]) + 10
    fixed_w = 2 * MARGIN + widths["left"] + widths["right"] + 2 * GAP + mid_width + 2 * PAD + 4 * DOT
    band = min(BAND_MAX, max(BAND_MIN, (MAX_SIDE - fixed_w) / 2))
    width = min(float(MAX_SIDE), fixed_w + 2 * band)
    band = (width - fixed_w) / 2
    x_left = MARGIN + widths["left"] + GAP + DOT
    x_mid = x_left + DOT + band + PAD + mid_width / 2
    x_right = x_mid + mid_width / 2 + PAD + band + DOT
    legend = _legend_rows(graph, width, _font(9))
    body = rows * step
    height = min(float(MAX_SIDE), _fixed(len(legend)) + body)
    body_bottom = MARGIN + len(legend) * LEGEND_ROW + 8
    body_top = body_bottom + body
    left = dict(zip((r.handle for r in graph.left), _spread(len(graph.left), body_top, body_bottom), strict=True))
    right = dict(zip((r.handle for r in graph.right), _spread(len(graph.right), body_top, body_bottom), strict=True))
    # the middle labels in the order of their lines' mid-heights: fewer crossings
    ordered = sorted(edges, key=lambda e: (-(left[e.from_team] + right[e.to_team]), e.id))
    slots = dict(zip((e.id for e in ordered), _spread(len(ordered), body_top, body_bottom), strict=True))
    return Layout(width, height, size, x_left, x_mid, mid_width, x_right, body_top, body_bottom, left, right, slots,
                  labels, names, offsets, legend)  # fmt: skip


def _offset(side: str, row: Row, above: set[str], graph: MapGraph) -> float:
    """How far a name sits from its column's edge: a right-hand team beneath another row (a heading or a team)
    is indented; left-hand headings stand out further left than the names beneath them."""
    if side == "left":
        return 0.0 if row.team else INDENT
    parent = next((n.parent for n in graph.nodes if n.handle == row.handle), None)
    return INDENT if row.team and parent in above else 0.0


def _fixed(legend_rows: int) -> float:
    """Pixels of the picture that are not rows: margins, title, column headings, legend."""
    return 2 * MARGIN + TITLE_H + HEAD_H + legend_rows * LEGEND_ROW + 8


def _legend_rows(graph: MapGraph, width: float, font: FontProperties) -> list[list[tuple[EdgeColour | None, str]]]:
    entries: list[tuple[EdgeColour | None, str]] = [(c, f"{DESCRIPTIONS[c]} ({graph.count(c)})") for c in EdgeColour]
    rows: list[list[tuple[EdgeColour | None, str]]] = [[]]
    used = 0.0
    for colour, text in entries:
        need = 34 + _width(text, font) + 18
        if rows[-1] and used + need > width - 2 * MARGIN:
            rows.append([])
            used = 0.0
        rows[-1].append((colour, text))
        used += need
    rows.append([(None, "Arrows point from the team that asks to the team that provides.")])
    hidden = sum(graph.hidden.values())
    if hidden:
        said = ", ".join(f"{n} {c.value}" for c, n in sorted(graph.hidden.items(), key=lambda kv: ORDER[kv[0]]) if n)
        rows.append([(None, f"{hidden} more open dependencies are not drawn ({said}), for room: `dep list` has "
                            "them all.")])  # fmt: skip
    return rows


def draw(graph: MapGraph) -> Figure:
    """The figure, one unit of its axes a pixel of the picture."""
    lay = layout(graph)
    fig = Figure(figsize=(lay.width / DPI, lay.height / DPI), dpi=DPI)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.0, 0.0, 1.0, 1.0))
    ax.set_axis_off()
    ax.set_xlim(0, lay.width)
    ax.set_ylim(0, lay.height)
    when = f" — {graph.as_of.isoformat()}" if graph.as_of else ""
    ax.text(lay.width / 2, lay.height - MARGIN - TITLE_H / 2, f"{graph.title}{when}", fontproperties=_font(13, "bold"),
            color=INK, ha="center", va="center", gid="title")  # fmt: skip
    heads = lay.body_top + HEAD_H / 2
    head = _font(9, "bold")
    ax.text(lay.x_left - DOT - GAP, heads, COLUMN_TITLES["left"], fontproperties=head, color=QUIET, ha="right",
            va="center", gid="heading:left")  # fmt: skip
    ax.text(lay.x_mid, heads, "Dependency", fontproperties=head, color=QUIET, ha="center", va="center",
            gid="heading:middle")  # fmt: skip
    ax.text(lay.x_right + DOT + GAP, heads, COLUMN_TITLES["right"], fontproperties=head, color=QUIET, ha="left",
            va="center", gid="heading:right")  # fmt: skip
    worst = {"left": _worst(graph.edges, "left"), "right": _worst(graph.edges, "right")}
    focus = {n.handle for n in graph.nodes if n.focus}
    for side, column, ys, x in (("left", graph.left, lay.left, lay.x_left), ("right", graph.right, lay.right,
                                                                             lay.x_right)):  # fmt: skip
        for row in column:
            _row(ax, lay, side, row, ys[row.handle], x, worst[side].get(row.handle), row.handle in focus)
    for e in sorted(graph.edges, key=lambda e: -ORDER[e.colour]):  # red drawn last, on top
        _edge(ax, lay, e)
    _legend(ax, lay)
    return fig


def _worst(edges: tuple[MapEdge, ...], side: str) -> dict[str, EdgeColour]:
    worst: dict[str, EdgeColour] = {}
    for e in edges:
        team = e.from_team if side == "left" else e.to_team
        if team not in worst or ORDER[e.colour] < ORDER[worst[team]]:
            worst[team] = e.colour
    return worst


def _name_font(size: float, row: Row, worst: EdgeColour | None, focus: bool) -> FontProperties:
    """Headings a size smaller; teams on a red or amber line, and the team asked for, in bold."""
    if not row.team:
        return _font(size - 1, "bold")
    return _font(size, "bold" if worst in (EdgeColour.RED, EdgeColour.AMBER) or focus else "normal")


def _row(ax, lay: Layout, side: str, row: Row, y: float, x: float, worst: EdgeColour | None, focus: bool) -> None:  # type: ignore[no-untyped-def]
    text = lay.names[(side, row.handle)]
    font = _name_font(lay.size, row, worst, focus)
    if not row.team:
        colour = HEADING
    else:
        colour = INK if worst is not None else QUIET
        fill = COLOURS[worst] if worst is not None else "white"
        ax.add_line(Line2D([x], [y], marker="o", markersize=2 * DOT * 72 / DPI, color=fill,
                           markeredgecolor=INK if worst is not None else HEADING, markeredgewidth=0.8, zorder=4,
                           gid=f"dot:{side}:{row.handle}"))  # fmt: skip
    left = side == "left"
    shift = DOT + GAP + lay.offsets[(side, row.handle)]
    ax.text(x - shift if left else x + shift, y, text, fontproperties=font, color=colour,
            ha="right" if left else "left", va="center", gid=f"name:{side}:{row.handle}")  # fmt: skip


def _curve(x0: float, y0: float, x1: float, y1: float) -> MplPath:
    """A smooth S from (x0, y0) to (x1, y1), leaving and arriving level; x only grows along it, so it
    never leaves the band between x0 and x1."""
    k = (x1 - x0) / 2
    return MplPath([(x0, y0), (x0 + k, y0), (x1 - k, y1), (x1, y1)],
                   [MplPath.MOVETO, MplPath.CURVE4, MplPath.CURVE4, MplPath.CURVE4])  # fmt: skip


def _edge(ax, lay: Layout, e: MapEdge) -> None:  # type: ignore[no-untyped-def]
    colour = COLOURS[e.colour]
    loud = e.colour in (EdgeColour.RED, EdgeColour.AMBER)
    width = 2.2 if loud else 1.3
    y0, ys, y1 = lay.left[e.from_team], lay.slots[e.id], lay.right[e.to_team]
    into = lay.x_mid - lay.mid_width / 2 - PAD
    out = lay.x_mid + lay.mid_width / 2 + PAD
    first = _curve(lay.x_left + DOT, y0, into, ys)
    second = _curve(out, ys, lay.x_right - DOT - 1, y1)
    ax.add_patch(FancyArrowPatch(path=first, arrowstyle="-", color=colour, linewidth=width, zorder=2,
                                 gid=f"edge:{e.id}:in"))  # fmt: skip
    ax.add_patch(FancyArrowPatch(path=second, arrowstyle="-|>", mutation_scale=12, color=colour, linewidth=width,
                                 zorder=2, shrinkA=0, shrinkB=0, gid=f"edge:{e.id}:out"))  # fmt: skip
    box = {"boxstyle": "round,pad=0.18", "facecolor": "white", "edgecolor": colour, "linewidth": 0.9}
    ax.text(lay.x_mid, ys, lay.labels[e.id], fontproperties=_font(lay.size, "bold"), color=colour, ha="center",
            va="center", bbox=box, zorder=5, gid=f"label:{e.id}")  # fmt: skip


def _legend(ax, lay: Layout) -> None:  # type: ignore[no-untyped-def]
    font = _font(9)
    y = MARGIN + LEGEND_ROW * (len(lay.legend) - 1) + LEGEND_ROW / 2
    for i, entries in enumerate(lay.legend):
        x = float(MARGIN)
        for colour, text in entries:
            if colour is not None:
                ax.add_line(Line2D([x, x + 26], [y, y], color=COLOURS[colour], linewidth=2.6, gid=f"key:{colour}"))
                x += 32
            ax.text(x, y, text, fontproperties=font, color=INK if colour is not None else QUIET, ha="left",
                    va="center", gid=f"legend:{colour.value if colour else f'note-{i}'}")  # fmt: skip
            x += _width(text, font) + 18
        y -= LEGEND_ROW


def render_png(graph: MapGraph) -> bytes:
    """The PNG bytes of the map."""
    fig = draw(graph)
    buffer = io.BytesIO()
    fig.canvas.print_png(buffer, metadata={"Software": None})  # type: ignore[attr-defined]
    return buffer.getvalue()


def write_png(graph: MapGraph, folder: Path) -> Path:
    """Write `map.png` (or `map-<team>.png`) in `folder`; return its path."""
    path = folder / f"{graph.file_stem}.png"
    path.write_bytes(render_png(graph))
    return path
