"""Lay out the task's edges as a two-column chart (sources left, targets right) drawn as inline
SVG by the template -- geometry only, computed here so the page needs no chart library.

Readable with a few dozen places: at most ``MAX_NODES`` per side (the lightest are folded into
one "others" node), targets ordered by the mean position of their sources to cut crossings,
line width by the edge's weight, every line and node titled with its figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from llmx.htmlreport.model import Edge, Edges

MAX_NODES = 30
ROW = 24  # px per node
LABEL_MAX = 240  # px; longer labels are cut (the full name is in the tooltip)
GAP = 320  # px between the two node columns
PALETTE = (
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
    "#17becf", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Node:
    x: float
    y: float
    label: str
    title: str
    anchor: str  # SVG text-anchor: "end" (left column) or "start" (right column)
    label_x: float


@dataclass(frozen=True, slots=True)
class Line:
    d: str
    width: float
    colour: str
    title: str


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    nodes: list[Node]
    lines: list[Line]


@dataclass(frozen=True, slots=True)
class Bar:
    source: str
    target: str
    weight: str
    percent: float
    measures: str
    docs: int


def number(value: float) -> str:
    """``320``, ``1.5``, ``12,000``: no trailing ``.0``."""
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def measures_text(edge: Edge, skip: str = "") -> str:
    return " · ".join(f"{number(v)} {k}" for k, v in edge.measures.items() if k != skip)


def text_width(text: str, size: float = 13) -> float:
    """Approximate rendered width: CJK glyphs are one em, the rest about half."""
    return sum(size if ord(c) >= 0x2E80 else size * 0.58 for c in text)


def _cut(text: str) -> str:
    if text_width(text) <= LABEL_MAX:
        return text
    while text and text_width(text + "…") > LABEL_MAX:
        text = text[:-1]
    return text + "…"


def _fold(totals: dict[str, float], keep: int) -> dict[str, str]:
    """Node name -> drawn name: the ``keep`` heaviest as they are, the rest as one node."""
    ranked = sorted(totals, key=lambda n: (-totals[n], n))
    rest = ranked[keep:]
    folded = {n: n for n in ranked[:keep]}
    folded.update({n: f"… {len(rest)} others" for n in rest})
    return folded


def layout(edges: Edges, max_nodes: int = MAX_NODES) -> Chart | None:
    """The chart's geometry, or None when there are no edges."""
    m = edges.measure
    if not edges.edges:
        return None
    out_w: dict[str, float] = defaultdict(float)
    in_w: dict[str, float] = defaultdict(float)
    for e in edges.edges:
        out_w[e.source] += e.weight(m)
        in_w[e.target] += e.weight(m)
    src_of, dst_of = _fold(out_w, max_nodes), _fold(in_w, max_nodes)
    merged: dict[tuple[str, str], float] = defaultdict(float)
    titles: dict[tuple[str, str], list[str]] = defaultdict(list)
    for e in edges.edges:
        pair = (src_of[e.source], dst_of[e.target])
        merged[pair] += e.weight(m)
        titles[pair].append(f"{e.source} → {e.target}: {number(e.weight(m))} {m}")
    sources = sorted(
        {s for s, _ in merged}, key=lambda s: (s.startswith("… "), -_sum(merged, s, 0))
    )
    row_of = {s: i for i, s in enumerate(sources)}
    centre: dict[str, float] = {}
    for t in {t for _, t in merged}:
        ws = [(row_of[s], w) for (s, tt), w in merged.items() if tt == t]
        total = sum(w for _, w in ws) or 1.0
        centre[t] = sum(r * w for r, w in ws) / total
    targets = sorted(centre, key=lambda t: (t.startswith("… "), centre[t], t))

    left = min(LABEL_MAX, max(text_width(_cut(s)) for s in sources)) + 16
    right = min(LABEL_MAX, max(text_width(_cut(t)) for t in targets)) + 16
    x1, x2 = left, left + GAP
    top = ROW
    height = top + ROW * max(len(sources), len(targets)) + ROW // 2
    heaviest = max(merged.values()) or 1.0
    y = {("s", s): top + ROW * i + ROW / 2 for i, s in enumerate(sources)}
    y |= {("t", t): top + ROW * i + ROW / 2 for i, t in enumerate(targets)}
    lines = []
    for (s, t), w in sorted(merged.items(), key=lambda kv: -kv[1]):
        ya, yb = y[("s", s)], y[("t", t)]
        mid = (x1 + x2) / 2
        lines.append(
            Line(
                d=f"M{x1:.0f},{ya:.0f} C{mid:.0f},{ya:.0f} {mid:.0f},{yb:.0f} {x2:.0f},{yb:.0f}",
                width=round(1.5 + 12 * w / heaviest, 1),
                colour=PALETTE[row_of[s] % len(PALETTE)],
                title="\n".join(titles[(s, t)][:12]),
            )
        )
    nodes = [
        Node(x1, y[("s", s)], _cut(s), f"{s}: {number(_sum(merged, s, 0))} {m}", "end", x1 - 8)
        for s in sources
    ] + [
        Node(x2, y[("t", t)], _cut(t), f"{t}: {number(_sum(merged, t, 1))} {m}", "start", x2 + 8)
        for t in targets
    ]
    return Chart(width=int(x2 + right), height=int(height), nodes=nodes, lines=lines)


def _sum(merged: dict[tuple[str, str], float], name: str, side: int) -> float:
    return sum(w for pair, w in merged.items() if pair[side] == name)


def bars(edges: Edges, limit: int = 500) -> list[Bar]:
    """The edges as table rows with a bar scaled to the heaviest (at most ``limit`` rows)."""
    m = edges.measure
    heaviest = max((e.weight(m) for e in edges.edges), default=0.0) or 1.0
    return [
        Bar(
            e.source,
            e.target,
            number(e.weight(m)),
            round(100 * e.weight(m) / heaviest, 1),
            measures_text(e, skip=m),
            e.docs,
        )
        for e in edges.edges[:limit]
    ]
