"""The package dependency graph (see package_graph) as an inline SVG, cycles in red.

Boxes are placed by graph_layout, importers above what they import; packages that import each
other sit in a dashed frame. Packages on an import cycle and the imports inside one are red;
everything else is muted, so cycles stand out; the imports a cycle's cut removes are thick and
dashed. Inside a frame of more than INNER_EDGES_MAX
packages the imports are hidden (at that density they only draw a hairball) until the page's
script shows those of the package pointed at; every edge and box has a <title> (hover text).
"""

from __future__ import annotations

from html import escape

from coderev.reports.graph_layout import (
    BOX_H,
    CLUSTER_PAD,
    FONT_SIZE,
    MARGIN,
    PAD_X,
    Box,
    Layout,
    layout,
)
from coderev.reports.package_graph import PackageGraph

INNER_EDGES_MAX = 6
RED, CUT, GREY, BLUE = "#d22", "#8b0000", "#8a94a6", "#7a9cc6"
_MARKERS = "".join(
    # user-space units: the same arrowhead on a thin edge and on a thick one
    f'<marker id="{name}" viewBox="0 0 10 10" refX="10" refY="5" markerUnits="userSpaceOnUse" '
    f'markerWidth="9" markerHeight="9" orient="auto-start-reverse">'
    f'<path d="M 0 0 L 10 5 L 0 10 z" fill="{colour}"/></marker>'
    for name, colour in (("arrow", GREY), ("arrow-red", RED), ("arrow-cut", CUT))
)


def _curve(a: Box, b: Box) -> str:
    if b.y >= a.y + a.height:  # below: bottom of the importer to the top of the imported
        sx, sy, ex, ey = a.centre, a.y + a.height, b.centre, b.y
    elif b.y + b.height <= a.y:  # above (inside a frame): top to bottom
        sx, sy, ex, ey = a.centre, a.y, b.centre, b.y + b.height
    else:  # same row: an arc under both boxes
        sx, sy, ex, ey = a.centre, a.y + a.height, b.centre, b.y + b.height
        return f"M {sx:.0f} {sy} C {sx:.0f} {sy + 22} {ex:.0f} {ey + 22} {ex:.0f} {ey}"
    mid = (sy + ey) / 2
    return f"M {sx:.0f} {sy} C {sx:.0f} {mid:.0f} {ex:.0f} {mid:.0f} {ex:.0f} {ey}"


def _edge(graph: PackageGraph, placed: Layout, source: str, target: str) -> str:
    red = (source, target) in graph.cyclic_edges
    cut = (source, target) in graph.cut_edges
    frame = placed.cluster_of.get(source)
    inner = (
        not cut
        and frame is not None
        and frame == placed.cluster_of.get(target)
        and len(placed.clusters[frame].members) > INNER_EDGES_MAX
    )
    n = graph.imports.get((source, target), 0)
    classes = "edge" + (" cyclic" if red else "") + (" cut" if cut else "")
    style = (
        f'stroke="{CUT if cut else RED if red else GREY}" '
        f'stroke-opacity="{1 if cut else 0.75 if red else 0.4}" '
        f'stroke-width="{2.5 if cut else 1.5 if red else 1}"'
        + (' stroke-dasharray="6 3"' if cut else "")
        + (' visibility="hidden"' if inner else "")
    )
    marker = "arrow-cut" if cut else "arrow-red" if red else "arrow"
    what = f"{escape(source)} imports {escape(target)} ({n} import{'s' if n != 1 else ''})"
    if cut:
        what += ": the cut proposes removing an import here to break the cycle"
    return (
        f'<path class="{classes + (" inner" if inner else "")}" data-from="{escape(source)}" '
        f'data-to="{escape(target)}" d="{_curve(placed.boxes[source], placed.boxes[target])}" '
        f'fill="none" {style} marker-end="url(#{marker})">'
        f"<title>{what}</title></path>"
    )


def _box(graph: PackageGraph, node: str, box: Box) -> str:
    red = node in graph.cyclic_nodes
    return (
        f'<g class="node{" cyclic" if red else ""}" data-package="{escape(node)}">'
        f'<rect x="{box.x}" y="{box.y}" width="{box.width}" height="{BOX_H}" rx="5" '
        f'fill="{"#fde8e8" if red else "#eef3fb"}" stroke="{RED if red else BLUE}"/>'
        f'<text x="{box.x + PAD_X}" y="{box.y + BOX_H / 2 + FONT_SIZE / 2 - 2:.0f}" '
        f'font-size="{FONT_SIZE}" font-family="monospace">{escape(node)}</text>'
        f"<title>{escape(node)}: Ca + Ce = {graph.coupling.get(node, 0)}</title></g>"
    )


def render_svg(graph: PackageGraph) -> str:
    if not graph.nodes:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40" role="img">'
            '<text x="10" y="25">No packages found.</text></svg>'
        )
    placed = layout(graph.nodes, graph.edges)
    w, h = placed.width, placed.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" role="img" aria-label="package dependency graph">',
        f"<defs>{_MARKERS}</defs>",
    ]
    for cluster in placed.clusters:
        f = cluster.frame
        parts.append(
            f'<g class="cluster"><rect x="{f.x}" y="{f.y}" width="{f.width}" height="{f.height}" '
            f'rx="8" fill="#fafafa" stroke="#667" stroke-dasharray="5 4"/>'
            f'<text x="{f.x + CLUSTER_PAD}" y="{f.y + CLUSTER_PAD + FONT_SIZE}" '
            f'font-size="{FONT_SIZE}" font-family="monospace" fill="#445">'
            f"{escape(cluster.label)}</text></g>"
        )
    # grey edges first, red ones over them, cut ones over those, boxes over all
    ordered = sorted(graph.edges, key=lambda e: (e in graph.cut_edges, e in graph.cyclic_edges))
    parts.extend(_edge(graph, placed, a, b) for a, b in ordered)
    parts.extend(_box(graph, node, placed.boxes[node]) for node in graph.nodes)
    if graph.omitted:
        parts.append(
            f'<text class="omitted" x="{MARGIN}" y="{h - MARGIN // 2}" font-size="{FONT_SIZE}" '
            f'fill="#5c6370">+{graph.omitted} packages not shown</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
