"""The import graph: adjacency for path searches, and import cycles.

`ImportIndex` holds the graph in plain dicts (faster than networkx for the many small BFS runs
contracts need); `find_cycles` uses networkx's strongly connected components on the internal
graph. A module importing itself is no cycle.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from coderev.domain.architecture import Cycle, ImportEdge, ModuleNode

if TYPE_CHECKING:
    import networkx as nx


@dataclass(slots=True)
class ImportIndex:
    """Internal and external import edges, with the first line of each (source, target)."""

    modules: Mapping[str, ModuleNode]  # internal modules by name
    successors: dict[str, list[str]]  # sorted; targets may be external top-level names
    first_line: dict[tuple[str, str], int]
    _sorted_names: list[str] = field(default_factory=list)
    _predecessors: dict[str, list[str]] | None = None

    @classmethod
    def build(cls, modules: Mapping[str, ModuleNode], edges: Iterable[ImportEdge]) -> ImportIndex:
        succ: dict[str, set[str]] = {}
        first_line: dict[tuple[str, str], int] = {}
        for e in edges:
            succ.setdefault(e.source, set()).add(e.target)
            key = (e.source, e.target)
            if key not in first_line or e.line < first_line[key]:
                first_line[key] = e.line
        return cls(
            modules,
            {s: sorted(ts) for s, ts in succ.items()},
            first_line,
            sorted(modules),
        )

    def without(self, pairs: Iterable[tuple[str, str]]) -> ImportIndex:
        """A copy with the given (importer, imported) edges removed (self when there are none)."""
        pairs = list(pairs)
        if not pairs:
            return self
        drop: dict[str, set[str]] = {}
        for s, t in pairs:
            drop.setdefault(s, set()).add(t)
        succ = {
            s: [t for t in ts if t not in drop[s]] if s in drop else ts
            for s, ts in self.successors.items()
        }
        return ImportIndex(self.modules, succ, self.first_line, self._sorted_names)

    def predecessors(self) -> dict[str, list[str]]:
        """Importers of each module (computed once)."""
        if self._predecessors is None:
            pred: dict[str, list[str]] = {}
            for s, t in self.edge_pairs():
                pred.setdefault(t, []).append(s)
            self._predecessors = pred
        return self._predecessors

    def edge_pairs(self) -> Iterable[tuple[str, str]]:
        for s, ts in self.successors.items():
            for t in ts:
                yield s, t

    def members(self, name: str) -> list[str]:
        """`name` and every known module below it (a package and its descendants)."""
        names = self._sorted_names
        i = bisect_left(names, name)
        out = []
        if i < len(names) and names[i] == name:
            out.append(name)
            i += 1
        prefix = name + "."
        j = bisect_left(names, prefix)
        while j < len(names) and names[j].startswith(prefix):
            out.append(names[j])
            j += 1
        return out


def internal_digraph(modules: Iterable[str], edges: Iterable[ImportEdge]) -> nx.DiGraph:
    """Modules as nodes, internal imports as edges (without self-edges)."""
    import networkx as nx  # imported when used: it costs 0.3 s, coderev's cold start does not

    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    graph.add_edges_from(
        (e.source, e.target) for e in edges if not e.external and e.source != e.target
    )
    return graph


def find_cycles(graph: nx.DiGraph) -> tuple[Cycle, ...]:
    """Each strongly connected component of 2+ modules, with one of its shortest cycles.

    Ordered by the component's sorted module names; the cycle starts at the smallest module
    name among those on a shortest cycle.
    """
    import networkx as nx

    cycles = []
    for component in nx.strongly_connected_components(graph):
        if len(component) < 2:
            continue
        members = sorted(component)
        adjacency = {m: sorted(t for t in graph.successors(m) if t in component) for m in members}
        cycles.append(Cycle(tuple(members), _shortest_cycle(members, adjacency)))
    return tuple(sorted(cycles, key=lambda c: c.modules))


def _shortest_cycle(members: list[str], adjacency: Mapping[str, list[str]]) -> tuple[str, ...]:
    best: tuple[str, ...] = ()
    for start in members:
        limit = len(best) - 1 if best else len(members) + 1  # edges in the best cycle so far
        found = _cycle_through(start, adjacency, limit)
        if found and (not best or len(found) < len(best)):
            best = found
            if len(best) == 3:  # a -> b -> a: nothing is shorter
                break
    return best


def _cycle_through(
    start: str, adjacency: Mapping[str, list[str]], limit: int
) -> tuple[str, ...] | None:
    """The shortest cycle through `start` with fewer than `limit` edges, or None."""
    parent: dict[str, str] = {start: start}
    depth = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if depth[node] + 1 >= limit:
            return None
        for nxt in adjacency[node]:
            if nxt == start:
                path = [start]
                while node != start:
                    path.append(node)
                    node = parent[node]
                path.append(start)
                return (start, *reversed(path[1:-1]), start)
            if nxt not in parent:
                parent[nxt] = node
                depth[nxt] = depth[node] + 1
                queue.append(nxt)
    return None
