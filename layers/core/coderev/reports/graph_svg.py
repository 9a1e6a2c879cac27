"""The package dependency graph as an inline SVG, cycles in red.

Written by hand because the layout needs no more than ranks: packages are ranked by the
longest path in the DAG of strongly connected groups (so imports point left to right),
placed in columns, and edges drawn as curves with arrowheads. Graphviz would lay out
better, but it is a system binary a laptop or a Lambda does not have.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from html import escape

from coderev.domain.architecture import ArchitectureResult

MAX_NODES = 60
COL_W, ROW_H, BOX_H, PAD = 230, 44, 28, 20


@dataclass(frozen=True, slots=True)
class PackageGraph:
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    cyclic_nodes: frozenset[str]
    cyclic_edges: frozenset[tuple[str, str]]
    omitted: int


def package_of(module: str, packages: set[str]) -> str:
    """The innermost package holding `module` (the module itself when it is a package)."""
    name = module
    while name:
        if name in packages:
            return name
        name = name.rpartition(".")[0]
    return module.partition(".")[0]


def package_graph(arch: ArchitectureResult, max_nodes: int = MAX_NODES) -> PackageGraph:
    packages = {m.name for m in arch.modules if m.is_package}
    owner = {m.name: package_of(m.name, packages) for m in arch.modules}
    size: dict[str, int] = defaultdict(int)
    for pkg in owner.values():
        size[pkg] += 1
    edges = {
        (owner[e.source], owner[e.target])
        for e in arch.imports
        if not e.external
        and e.source in owner
        and e.target in owner
        and owner[e.source] != owner[e.target]
    }
    cyclic_nodes: set[str] = set()
    cyclic_edges: set[tuple[str, str]] = set()
    for cycle in arch.cycles:
        members = set(cycle.modules)
        cyclic_nodes.update(owner[m] for m in members if m in owner)
        # every import inside the strongly connected component, not only the shortest path
        for e in arch.imports:
            inside = e.source in members and e.target in members
            pair = (owner.get(e.source), owner.get(e.target))
            if inside and pair[0] is not None and pair[1] is not None and pair[0] != pair[1]:
                cyclic_edges.add((pair[0], pair[1]))
    ranked = sorted(size, key=lambda p: (p not in cyclic_nodes, -size[p], p))
    kept = set(ranked[:max_nodes])
    return PackageGraph(
        nodes=tuple(sorted(kept)),
        edges=tuple(sorted((a, b) for a, b in edges if a in kept and b in kept)),
        cyclic_nodes=frozenset(cyclic_nodes & kept),
        cyclic_edges=frozenset(cyclic_edges),
        omitted=len(size) - len(kept),
    )


def _ranks(nodes: tuple[str, ...], edges: tuple[tuple[str, str], ...]) -> dict[str, int]:
    """Longest-path rank in the condensation: importers left of what they import."""
    import networkx as nx

    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    cond = nx.condensation(graph)
    rank: dict[int, int] = {}
    for comp in nx.topological_sort(cond):
        preds = list(cond.predecessors(comp))
        rank[comp] = 1 + max((rank[p] for p in preds), default=-1)
    return {n: rank[cond.graph["mapping"][n]] for n in nodes}


def render_svg(graph: PackageGraph) -> str:
    if not graph.nodes:
        return (
            '<svg xmlns="http://www.w3.org/2000/svg" width="300" height="40" role="img">'
            '<text x="10" y="25">No packages found.</text></svg>'
        )
    ranks = _ranks(graph.nodes, graph.edges)
    columns: dict[int, list[str]] = defaultdict(list)
    for node in graph.nodes:
        columns[ranks[node]].append(node)
    pos: dict[str, tuple[int, int]] = {}
    for col, members in columns.items():
        for row, node in enumerate(sorted(members)):
            pos[node] = (PAD + col * COL_W, PAD + row * ROW_H)
    width = PAD * 2 + (max(columns) + 1) * COL_W
    height = PAD * 2 + max(len(m) for m in columns.values()) * ROW_H
    box_w = COL_W - 50
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="package dependency graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" '
        'fill="#888"/></marker><marker id="arrow-red" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path '
        'd="M 0 0 L 10 5 L 0 10 z" fill="#d22"/></marker></defs>',
    ]
    for a, b in graph.edges:
        (x1, y1), (x2, y2) = pos[a], pos[b]
        red = (a, b) in graph.cyclic_edges
        back = x2 <= x1  # back or same-column edge (inside a cycle): loop below the boxes
        sx: float = x1 + (box_w / 2 if back else box_w)
        ex: float = x2 + (box_w / 2 if back else 0)
        sy: float = y1 + (BOX_H if back else BOX_H / 2)
        ey: float = y2 + (BOX_H if back else BOX_H / 2)
        mid = (sx + ex) / 2
        bend = 30 if back else 0
        cls = "edge cyclic" if red else "edge"
        stroke = "#d22" if red else "#aaa"
        marker = "arrow-red" if red else "arrow"
        parts.append(
            f'<path class="{cls}" d="M {sx:.0f} {sy:.0f} C {mid:.0f} {sy + bend:.0f} '
            f'{mid:.0f} {ey + bend:.0f} {ex:.0f} {ey:.0f}" fill="none" '
            f'stroke="{stroke}" stroke-width="{2 if red else 1}" marker-end="url(#{marker})">'
            f"<title>{escape(a)} imports {escape(b)}</title></path>"
        )
    for node in graph.nodes:
        x, y = pos[node]
        red = node in graph.cyclic_nodes
        label = node if len(node) <= 28 else "…" + node[-27:]
        parts.append(
            f'<g class="node{" cyclic" if red else ""}" data-package="{escape(node)}">'
            f'<rect x="{x}" y="{y}" width="{box_w}" height="{BOX_H}" rx="5" '
            f'fill="{"#fde8e8" if red else "#eef3fb"}" stroke="{"#d22" if red else "#7a9cc6"}"/>'
            f'<text x="{x + 8}" y="{y + 18}" font-size="12" font-family="monospace">'
            f"{escape(label)}</text><title>{escape(node)}</title></g>"
        )
    parts.append("</svg>")
    return "".join(parts)
