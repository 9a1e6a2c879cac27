"""Import cycles by kind, each with one shortest cycle, and cuts for the import-time ones.

Kinds, strongest first (see ImportKind): a component is *import-time* when import-time imports
alone make it strongly connected; *deferred* when it needs a deferred import (one inside a
function) to close and no type-checking one; *type-checking* when only an import under
`if TYPE_CHECKING:` closes it. So the components come from three graphs: import-time edges; plus
deferred edges; plus type-checking edges. A component of a weaker graph whose module set is a
component of a stronger one is reported once, with the stronger kind; a weaker component that
contains a stronger one is reported too (the bigger knot the weaker imports tie).

Only import-time cycles can fail at import ("partially initialised module"), so only they are
findings and get a cut (coderev.architecture.cycle_cuts). Each list is ranked by size, largest
first, then by module names. A module importing itself is no cycle.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from coderev.architecture.cycle_cuts import feedback_arc_set
from coderev.domain.architecture import CutEdge, Cycle, ImportEdge, ImportKind, ModuleNode

if TYPE_CHECKING:
    import networkx as nx

_LEVELS = (ImportKind.IMPORT_TIME, ImportKind.DEFERRED, ImportKind.TYPE_CHECKING)


def internal_digraph(
    modules: Iterable[str], edges: Iterable[ImportEdge], min_strength: int = 0
) -> nx.DiGraph:
    """Modules as nodes, internal imports at least that strong as edges (without self-edges)."""
    import networkx as nx  # imported when used: it costs 0.3 s, coderev's cold start does not

    graph = nx.DiGraph()
    graph.add_nodes_from(modules)
    graph.add_edges_from(
        (e.source, e.target)
        for e in edges
        if not e.external and e.source != e.target and e.kind.strength >= min_strength
    )
    return graph


def find_cycles(
    modules: Mapping[str, ModuleNode], edges: Sequence[ImportEdge]
) -> tuple[tuple[Cycle, ...], tuple[Cycle, ...]]:
    """(import-time cycles with their cuts, cycles closed only by weaker imports), by size."""
    import networkx as nx

    strongest: dict[tuple[str, str], ImportKind] = {}
    for e in edges:
        if e.external or e.source == e.target:
            continue
        key = (e.source, e.target)
        if key not in strongest or e.kind.strength > strongest[key].strength:
            strongest[key] = e.kind
    seen: set[frozenset[str]] = set()
    found: list[Cycle] = []
    for kind in _LEVELS:
        graph = nx.DiGraph()
        graph.add_edges_from(k for k, v in strongest.items() if v.strength >= kind.strength)
        for component in nx.strongly_connected_components(graph):
            member_set = frozenset(component)
            if len(member_set) < 2 or member_set in seen:
                continue
            seen.add(member_set)
            members = sorted(member_set)
            adjacency = {
                m: sorted(t for t in graph.successors(m) if t in member_set) for m in members
            }
            if kind is ImportKind.IMPORT_TIME:
                path = _shortest_cycle(members, adjacency)
                cut = cycle_cut(modules, members, adjacency, edges)
                found.append(Cycle(tuple(members), path, kind, cut))
            else:
                weak = [(s, t) for s in members for t in adjacency[s] if strongest[(s, t)] is kind]
                found.append(Cycle(tuple(members), _shortest_through(weak, adjacency), kind))
    found.sort(key=lambda c: (-c.size, c.modules))
    return (
        tuple(c for c in found if c.kind is ImportKind.IMPORT_TIME),
        tuple(c for c in found if c.kind is not ImportKind.IMPORT_TIME),
    )


def cycle_cut(
    modules: Mapping[str, ModuleNode],
    members: Sequence[str],
    adjacency: Mapping[str, Sequence[str]],
    edges: Iterable[ImportEdge],
) -> tuple[CutEdge, ...]:
    """The import-time imports to remove to leave the component acyclic (see cycle_cuts).

    An edge weighs its import-time statements; a package `__init__` importing its own submodule
    (a re-export) is protected.
    """
    pairs = {(s, t) for s in members for t in adjacency[s]}
    lines: dict[tuple[str, str], set[int]] = {}
    for e in edges:
        key = (e.source, e.target)
        if e.kind is ImportKind.IMPORT_TIME and key in pairs:
            lines.setdefault(key, set()).add(e.line)
    protected = [(s, t) for s, t in pairs if is_reexport(modules.get(s), t)]
    weight = {k: len(v) for k, v in lines.items()}
    cut = feedback_arc_set(members, weight, protected)
    return tuple(
        CutEdge(s, t, modules[s].path if s in modules else "", tuple(sorted(lines[(s, t)])))
        for s, t in cut
    )


def is_reexport(importer: ModuleNode | None, imported: str) -> bool:
    """A package's `__init__` importing a module inside that package (its public API)."""
    return (
        importer is not None
        and importer.is_package
        and bool(importer.path)
        and imported.startswith(importer.name + ".")
    )


def _shortest_cycle(members: list[str], adjacency: Mapping[str, list[str]]) -> tuple[str, ...]:
    """A shortest cycle, starting at the smallest module name among those on one."""
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
    path = _path(start, {start}, adjacency, limit)
    return (start, *path) if path else None


def _shortest_through(
    weak: Sequence[tuple[str, str]], adjacency: Mapping[str, list[str]]
) -> tuple[str, ...]:
    """A shortest cycle using at least one of the `weak` edges, starting with that edge."""
    best: tuple[str, ...] = ()
    for s, t in sorted(weak):
        # The cycle s -> t -> ... -> s has 1 + len(rest) edges; only a shorter one helps.
        limit = len(best) - 2 if best else len(adjacency) + 1
        rest = _path(t, {s}, adjacency, limit)
        if rest is not None:
            best = (s, t, *rest)
            if len(best) == 3:  # s -> t -> s: nothing is shorter
                break
    return best


def _path(
    start: str, goals: set[str], adjacency: Mapping[str, list[str]], limit: int
) -> tuple[str, ...] | None:
    """Shortest path start -> a goal with fewer than `limit` edges: its nodes after `start`."""
    parent: dict[str, str] = {start: start}
    depth = {start: 0}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if depth[node] + 1 >= limit:
            return None
        for nxt in adjacency[node]:
            if nxt in goals:
                path = [nxt]
                while node != start:
                    path.append(node)
                    node = parent[node]
                return tuple(reversed(path))
            if nxt not in parent:
                parent[nxt] = node
                depth[nxt] = depth[node] + 1
                queue.append(nxt)
    return None
