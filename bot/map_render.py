"""Draw a core MapGraph as a PNG with matplotlib (Agg: no display, no system binary).

The whole organisation reads as an org chart in columns: each top-level programme a block of
its teams, indented by depth, and the dependencies as curved coloured arrows between them
(from the team that asks to the team that provides), labelled with their ids. A team's
neighbourhood (`map --team`) puts the team in the middle: parent above, children below, the
teams it asks on the right and the teams that ask it on the left. Layouts are computed, not
simulated, so the same graph always gives the same picture.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from matplotlib import pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import FancyArrowPatch  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from core.mapgraph import DESCRIPTIONS, EdgeColour, MapEdge, MapGraph, MapNode  # noqa: E402

COLOURS = {
    EdgeColour.RED: "#d62728",
    EdgeColour.AMBER: "#f29900",
    EdgeColour.GREEN: "#2ca02c",
    EdgeColour.GREY: "#9a9a9a",
}
_RANK = {EdgeColour.RED: 0, EdgeColour.AMBER: 1, EdgeColour.GREEN: 2, EdgeColour.GREY: 3}
DPI = 110
COLUMN_INCHES = 2.6
ROW_INCHES = 0.25
MAX_COLUMN_ROWS = 45
CHILD_INCHES = 2.3
QUIET = "#6b6b6b"
INK = "#1a1a1a"


@dataclass(frozen=True)
class Placed:
    x: float
    y: float
    label: str
    weight: str = "normal"
    header: bool = False


def render_png(graph: MapGraph) -> bytes:
    """The PNG bytes of the map."""
    fig = draw(graph)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def write_png(graph: MapGraph, folder: Path) -> Path:
    """Write `map.png` (or `map-<team>.png`) in `folder`; return its path."""
    path = folder / f"{graph.file_stem}.png"
    path.write_bytes(render_png(graph))
    return path


def draw(graph: MapGraph) -> Figure:
    """The figure, sized so that one unit of the layout is one inch on paper."""
    if graph.focus is None:
        positions, extras = _columns(graph)
        left, right, top = 0.7, COLUMN_INCHES + 0.02 * max(0, *(len(p.label) - 30 for p in positions.values())), 0.4
    else:
        positions, extras = _neighbourhood(graph)
        left, right, top = 1.0, 1.9, 1.0
    xs = [p.x for p in positions.values()] + [p.x for p in extras]
    ys = [p.y for p in positions.values()] + [p.y for p in extras]
    x0, x1, y0, y1 = min(xs) - left, max(xs) + right, min(ys) - 0.35, max(ys) + top
    width, height = max(x1 - x0, 9.0), y1 - y0 + 1.9  # room for the title above and the legend below
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0.0, 0.9 / height, 1.0, (y1 - y0) / height))
    ax.set_axis_off()
    ax.set_xlim(x0, x0 + width)
    ax.set_ylim(y0, y1)
    worst = _worst_colour_by_team(graph)
    for placed in extras:
        ax.text(placed.x - 0.1, placed.y, placed.label, fontsize=10, fontweight="bold", color=QUIET, va="center")
    if graph.focus is not None:
        _tree_lines(ax, graph, positions)
    for node in graph.nodes:
        _node(ax, node, positions[node.handle], worst.get(node.handle), graph.focus is not None)
    for i, edge in enumerate(graph.edges):
        _edge(ax, edge, positions, i, graph.focus is not None)
    when = f" — {graph.as_of.isoformat()}" if graph.as_of else ""
    fig.suptitle(f"{graph.title}{when}", fontsize=15, fontweight="bold", color=INK, y=1 - 0.3 / height)
    _legend(fig, graph)
    return fig


# --- layouts -------------------------------------------------------------------------------------


def _columns(graph: MapGraph) -> tuple[dict[str, Placed], list[Placed]]:
    """Programmes as blocks of rows (the programme's own team heads its block), packed into
    columns about as tall as the picture is wide; coordinates are in inches."""
    blocks: list[list[MapNode]] = []
    for programme in graph.programmes():
        blocks.append([n for n in graph.nodes if n.programme == programme])
    columns, chunks = min((_pack(blocks, h) for h in range(8, MAX_COLUMN_ROWS + 1)), key=_badness)
    starts = {chunk[0].handle for chunk in chunks if chunk[0].handle != chunk[0].programme}
    positions: dict[str, Placed] = {}
    for c, column in enumerate(columns):
        for r, node in enumerate(column):
            if node is None:
                continue
            head = node.handle == node.programme
            indent = 0.0 if head else 0.14 + 0.14 * max(node.depth - 1, 0)
            label = f"{node.handle}  ({node.programme}, cont.)" if node.handle in starts else node.handle
            positions[node.handle] = Placed(c * COLUMN_INCHES + indent, -r * ROW_INCHES, label, header=head)
    return positions, []


Packing = tuple[list[list[MapNode | None]], list[list[MapNode]]]


def _pack(blocks: list[list[MapNode]], height: int) -> Packing:
    """Columns of at most `height` rows, first fit, biggest programme first; a programme taller
    than a column is cut into column-sized pieces."""
    chunks: list[list[MapNode]] = []
    for block in blocks:
        chunks += [block[i : i + height] for i in range(0, len(block), height)]
    columns: list[list[MapNode | None]] = []
    for chunk in sorted(chunks, key=len, reverse=True):
        for column in columns:
            if len(column) + 1 + len(chunk) <= height:
                column += [None, *chunk]
                break
        else:
            columns.append(list(chunk))
    return columns, chunks


def _badness(packing: Packing) -> float:
    """How far the picture is from a landscape page (3:2), and a price for each programme cut."""
    columns, chunks = packing
    width = len(columns) * COLUMN_INCHES
    height = max(len(c) for c in columns) * ROW_INCHES + 1.5
    cuts = sum(1 for chunk in chunks if chunk[0].handle != chunk[0].programme)
    return abs(math.log(width / height / 1.5)) + 1.0 * cuts


def _neighbourhood(graph: MapGraph) -> tuple[dict[str, Placed], list[Placed]]:
    """The team in the middle, its parent above, its children in rows below, the teams it asks
    on the right and the teams that ask it on the left (inches)."""
    focus = graph.focus
    assert focus is not None
    by_handle = {n.handle: n for n in graph.nodes}
    parent = by_handle[focus].parent if by_handle[focus].parent in by_handle else None
    children = [n.handle for n in graph.nodes if n.parent == focus]
    placed = {focus, *children} | ({parent} if parent else set())
    asks = sorted({e.to_team for e in graph.edges if e.from_team == focus} - placed)
    askers = sorted({e.from_team for e in graph.edges if e.to_team == focus} - placed - set(asks))
    others = sorted(set(by_handle) - placed - set(asks) - set(askers))
    positions = {focus: Placed(0.0, 0.0, focus)}
    extras: list[Placed] = []
    if parent:
        positions[parent] = Placed(0.0, 1.3, f"{parent}  (parent)")
    per_row = min(5, max(1, len(children)))
    for k, handle in enumerate(children):
        row, col = divmod(k, per_row)
        x = (col - (per_row - 1) / 2) * CHILD_INCHES
        positions[handle] = Placed(x, -1.5 - row * 0.45, handle)
    if children:
        left = -(per_row - 1) / 2 * CHILD_INCHES
        extras.append(Placed(left, -1.1, f"Teams within {focus} ({len(children)})", header=True))
    side = max(3.6, (per_row - 1) / 2 * CHILD_INCHES + 1.4)
    for handle, y in zip(asks, _spread(len(asks), 0.6), strict=True):
        positions[handle] = Placed(side, y, handle)
    for handle, y in zip(askers + others, _spread(len(askers) + len(others), 0.6), strict=True):
        positions[handle] = Placed(-side, y, handle)
    return positions, extras


def _spread(n: int, step: float) -> list[float]:
    return [(i - (n - 1) / 2) * step for i in range(n)]


# --- drawing -------------------------------------------------------------------------------------


def _worst_colour_by_team(graph: MapGraph) -> dict[str, EdgeColour]:
    worst: dict[str, EdgeColour] = {}
    for e in graph.edges:
        for team in (e.from_team, e.to_team):
            if team not in worst or _RANK[e.colour] < _RANK[worst[team]]:
                worst[team] = e.colour
    return worst


def _node(ax, node: MapNode, at: Placed, worst: EdgeColour | None, big: bool) -> None:  # type: ignore[no-untyped-def]
    busy = worst is not None
    colour = COLOURS[worst] if worst is not None else "#c8c8c8"
    size = (11 if node.focus else 8) if big else (7 if busy or at.header else 4)
    ax.plot([at.x], [at.y], marker="o", markersize=size, color=colour, markeredgecolor=INK if busy else colour,
            markeredgewidth=0.6, zorder=4)  # fmt: skip
    fontsize = (12 if node.focus else 10) if big else (10 if at.header else 8)
    weight = "bold" if busy or node.focus or at.header else "normal"
    ax.text(at.x + (0.12 if big else 0.09), at.y, at.label, fontsize=fontsize, fontweight=weight,
            color=INK if busy or big or at.header else QUIET, va="center", ha="left", zorder=5)  # fmt: skip


def _tree_lines(ax, graph: MapGraph, positions: dict[str, Placed]) -> None:  # type: ignore[no-untyped-def]
    """The line up to the parent (children sit in their own labelled block)."""
    focus = next((n for n in graph.nodes if n.focus), None)
    if focus is not None and focus.parent in positions:
        a, b = positions[focus.parent], positions[focus.handle]
        ax.plot([a.x, b.x], [a.y, b.y], color="#bdbdbd", linewidth=1.2, linestyle=(0, (4, 3)), zorder=1)


def _edge(ax, edge: MapEdge, positions: dict[str, Placed], i: int, big: bool) -> None:  # type: ignore[no-untyped-def]
    a, b = positions[edge.from_team], positions[edge.to_team]
    start, end = (a.x, a.y), (b.x, b.y)
    dx, dy = end[0] - start[0], end[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    if abs(dx) < 0.5:  # one above the other: bulge out to the left, into the gap before the names
        bend = -(0.25 + 0.08 * abs(dy) + 0.1 * (i % 3))
        control = ((start[0] + end[0]) / 2 + bend, (start[1] + end[1]) / 2)
    else:  # across: bow upwards, more for longer arrows, a little different for each
        rad = 0.12 + 0.05 * (i % 3)
        nx, ny = -dy / length, dx / length
        if ny < 0:
            nx, ny = -nx, -ny
        control = ((start[0] + end[0]) / 2 + rad * length * nx, (start[1] + end[1]) / 2 + rad * length * ny)
    gap = (0.12 if big else 0.06) / length
    p0, p1, p2 = _sub_bezier(start, control, end, gap, 1 - gap)
    colour = COLOURS[edge.colour]
    loud = edge.colour in (EdgeColour.RED, EdgeColour.AMBER)
    width = 2.4 if loud else 1.4
    layer = 3 + (3 - _RANK[edge.colour]) * 0.1  # red on top of amber on top of the rest
    path = MplPath([p0, p1, p2], [MplPath.MOVETO, MplPath.CURVE3, MplPath.CURVE3])
    ax.add_patch(FancyArrowPatch(path=path, arrowstyle="-|>", mutation_scale=14 if big else 11, color=colour,
                                 linewidth=width, zorder=layer, alpha=0.95 if loud else 0.7))  # fmt: skip
    mid = _point(start, control, end, 0.5)
    box = {"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": colour, "linewidth": 0.6}
    ax.text(mid[0], mid[1], f"{edge.id} {edge.reason}" if big else edge.id, fontsize=9 if big else 8,
            color=colour, fontweight="bold", ha="center", va="center", zorder=6 + layer / 10, bbox=box)  # fmt: skip


def _point(p0: tuple[float, float], c: tuple[float, float], p2: tuple[float, float], t: float) -> tuple[float, float]:
    u = 1 - t
    return (u * u * p0[0] + 2 * u * t * c[0] + t * t * p2[0], u * u * p0[1] + 2 * u * t * c[1] + t * t * p2[1])


def _sub_bezier(p0, c, p2, t0: float, t1: float):  # type: ignore[no-untyped-def]
    """The part of a quadratic Bézier between t0 and t1, as its three control points."""
    start, end = _point(p0, c, p2, t0), _point(p0, c, p2, t1)

    def lerp(a: tuple[float, float], b: tuple[float, float], t: float) -> tuple[float, float]:
        return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t)

    # the control point of the sub-curve: the tangent lines at t0 and t1 meet there
    q0 = lerp(lerp(p0, c, t0), lerp(c, p2, t0), t1)
    return start, q0, end


def _legend(fig: Figure, graph: MapGraph) -> None:
    handles = [
        Line2D([0], [0], color=COLOURS[c], linewidth=2.6, label=f"{DESCRIPTIONS[c]} ({graph.count(c)})")
        for c in EdgeColour
    ]
    labels = [str(h.get_label()) for h in handles]
    if graph.focus is not None:
        handles.append(Line2D([0], [0], color="#bdbdbd", linewidth=1.0, linestyle=(0, (4, 3))))
        labels.append("parent team")
    fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=len(handles), frameon=False,
               fontsize=10, title="Arrows point from the team that asks to the team that provides",
               title_fontsize=9)  # fmt: skip
