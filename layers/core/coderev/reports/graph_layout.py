"""Where each package of the dependency graph goes: a small top-to-bottom layered layout.

Written by hand because it needs few steps, and Graphviz, which would do better, is a system
binary a laptop or a Lambda does not have:
1. packages that import each other (a strongly connected group of the drawn graph) become one
   cluster, drawn as a framed block: at Django scale one such group holds dozens of packages,
   and spreading it over ranks only draws a longer hairball;
2. each package or cluster is ranked by the longest import path reaching it, importers above
   what they import, one band per rank;
3. a band is filled left to right in the order of its importers' mean position (barycentre),
   wrapping at MAX_WIDTH so the drawing fits the page instead of growing sideways.

Box widths come from the label: CHAR_W per character is an upper bound of the advance of the
common monospace fonts at FONT_SIZE, so a label never spills out of its box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

FONT_SIZE = 12
CHAR_W = 7.5  # DejaVu Sans Mono, Liberation Mono, Menlo, Consolas: 0.60-0.62 em at 12 px
PAD_X, BOX_H, BOX_GAP, ROW_GAP, BAND_GAP, MARGIN = 8, 26, 14, 16, 56, 20
CLUSTER_PAD, CLUSTER_LABEL_H = 10, 20
MAX_WIDTH = 1180  # fits the page's content width at a 1280-pixel window
NOTE_H, MIN_WIDTH = 28, 320


@dataclass(frozen=True, slots=True)
class Box:
    x: int
    y: int
    width: int
    height: int = BOX_H

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True, slots=True)
class Cluster:
    members: tuple[str, ...]
    frame: Box
    label: str


@dataclass(frozen=True, slots=True)
class Layout:
    boxes: dict[str, Box]
    clusters: tuple[Cluster, ...]
    cluster_of: dict[str, int]  # package -> index in clusters (packages in no cluster: absent)
    width: int
    height: int


def text_width(text: str) -> int:
    return math.ceil(len(text) * CHAR_W)


def box_width(label: str) -> int:
    return text_width(label) + 2 * PAD_X


def _rows(names: Sequence[str], max_width: int) -> list[list[str]]:
    """`names` in rows of boxes no wider than max_width (a box wider than that: a row alone)."""
    rows: list[list[str]] = [[]]
    used = 0
    for name in names:
        w = box_width(name)
        if rows[-1] and used + BOX_GAP + w > max_width:
            rows.append([])
            used = 0
        used += (BOX_GAP if rows[-1] else 0) + w
        rows[-1].append(name)
    return rows


def _cluster_size(members: Sequence[str], label: str) -> tuple[int, int, list[list[str]]]:
    inner = MAX_WIDTH - 2 * MARGIN - 2 * CLUSTER_PAD
    rows = _rows(members, inner)
    widest = max(sum(box_width(n) for n in r) + BOX_GAP * (len(r) - 1) for r in rows)
    width = max(widest, text_width(label)) + 2 * CLUSTER_PAD
    height = CLUSTER_LABEL_H + len(rows) * (BOX_H + ROW_GAP) - ROW_GAP + 2 * CLUSTER_PAD
    return width, height, rows


def cluster_label(members: Sequence[str]) -> str:
    return f"{len(members)} packages importing each other"


def layout(nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...]) -> Layout:
    """Each package's box, each cluster's frame, and the drawing's size."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    cond = nx.condensation(graph)
    rank: dict[int, int] = {}
    for comp in nx.topological_sort(cond):
        rank[comp] = 1 + max((rank[p] for p in cond.predecessors(comp)), default=-1)
    bands: dict[int, list[int]] = {}
    for comp, r in rank.items():
        bands.setdefault(r, []).append(comp)

    boxes: dict[str, Box] = {}
    clusters: list[Cluster] = []
    cluster_of: dict[str, int] = {}
    y, right = MARGIN, MIN_WIDTH
    for r in sorted(bands):

        def barycentre(comp: int) -> tuple[float, str]:
            members = sorted(cond.nodes[comp]["members"])
            xs = [boxes[a].centre for m in members for a in graph.predecessors(m) if a in boxes]
            return (sum(xs) / len(xs) if xs else math.inf, members[0])

        x, line_h = MARGIN, 0
        for comp in sorted(bands[r], key=barycentre):
            members = sorted(cond.nodes[comp]["members"])
            label = cluster_label(members)
            if len(members) == 1:
                w, h, rows = box_width(members[0]), BOX_H, [members]
            else:
                w, h, rows = _cluster_size(members, label)
            if x > MARGIN and x + w > MAX_WIDTH - MARGIN:  # wrap the band
                x, y, line_h = MARGIN, y + line_h + ROW_GAP, 0
            if len(members) == 1:
                boxes[members[0]] = Box(x, y, w)
            else:
                top = y + CLUSTER_PAD + CLUSTER_LABEL_H
                for i, row in enumerate(rows):
                    bx = x + CLUSTER_PAD
                    for name in row:
                        boxes[name] = Box(bx, top + i * (BOX_H + ROW_GAP), box_width(name))
                        bx += box_width(name) + BOX_GAP
                cluster_of.update(dict.fromkeys(members, len(clusters)))
                clusters.append(Cluster(tuple(members), Box(x, y, w, h), label))
            x += w + BOX_GAP
            right = max(right, x - BOX_GAP + MARGIN)
            line_h = max(line_h, h)
        y += line_h + BAND_GAP
    height = y - BAND_GAP + MARGIN + NOTE_H
    return Layout(boxes, tuple(clusters), cluster_of, right, height)
