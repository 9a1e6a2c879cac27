"""Cycle cuts: a small set of imports whose removal leaves an import cycle acyclic.

A cut is a feedback arc set of one strongly connected component. Finding the smallest is
NP-hard, so this uses the Eades-Lin-Smyth greedy ordering (1993, "A fast and effective heuristic
for the feedback arc set problem"): peel sinks to the back and sources to the front, else move
the node with the largest (out-weight - in-weight) to the front; the edges pointing backwards in
the resulting order are the cut. networkx has no feedback-arc-set algorithm, hence this module.

What the plain heuristic is given on top:
- weights: an edge weighs the number of import statements that make it (cutting it means
  changing that many lines), and the ordering uses weighted degrees;
- protected edges: a package's `__init__` importing its own submodule (a re-export, the
  package's public API) is never cut when some cut without protected edges exists. When the
  protected edges alone form no cycle (exactly when such a cut exists), the ordering only ever
  moves a node to the front once all its protected importers are placed, so every protected
  edge points forward;
- minimality: each cut edge, heaviest first, is put back when the rest of the cut still breaks
  every cycle, so no edge of the cut is superfluous;
- verification: the component without the cut is checked to be acyclic by recomputation (Kahn's
  topological sort), and `CycleCutError` is raised if not. "Breaks the cycle" always means this
  strong form: no cycle is left among the component's modules, not merely a smaller one.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from coderev.domain.errors import CoderevError

Edge = tuple[str, str]


class CycleCutError(CoderevError):
    """A computed cut left a cycle (a bug in the heuristic, never an input problem)."""


@dataclass(frozen=True, slots=True)
class _Graph:
    nodes: tuple[str, ...]
    weight: Mapping[Edge, int]  # every edge of the component with its weight (>= 1)
    protected: frozenset[Edge]


def feedback_arc_set(
    nodes: Collection[str], weight: Mapping[Edge, int], protected: Collection[Edge] = ()
) -> tuple[Edge, ...]:
    """Edges of the graph (`nodes`, edges = keys of `weight`) whose removal leaves it acyclic.

    Sorted; protected edges only when the protected edges alone form a cycle. Raises
    CycleCutError when the result fails verification.
    """
    graph = _Graph(tuple(sorted(nodes)), weight, frozenset(protected) & set(weight))
    order = _eades_order(graph)
    position = {n: i for i, n in enumerate(order)}
    cut = {e for e in weight if position[e[0]] > position[e[1]]}
    cut = _minimal(graph, cut)
    if not is_acyclic(graph.nodes, (e for e in weight if e not in cut)):
        raise CycleCutError(f"the cut {sorted(cut)} leaves a cycle among {len(nodes)} modules")
    return tuple(sorted(cut))


def _eades_order(graph: _Graph) -> list[str]:
    succ: dict[str, dict[str, int]] = {n: {} for n in graph.nodes}
    pred: dict[str, dict[str, int]] = {n: {} for n in graph.nodes}
    for (s, t), w in graph.weight.items():
        if s != t:
            succ[s][t] = w
            pred[t][s] = w
    protected_in = {n: 0 for n in graph.nodes}
    for _, t in graph.protected:
        protected_in[t] += 1
    delta = {n: sum(succ[n].values()) - sum(pred[n].values()) for n in graph.nodes}
    remaining = set(graph.nodes)
    front: list[str] = []
    back: list[str] = []
    # Max-heaps of (-delta, name): one over nodes free of unplaced protected importers, one over
    # all; entries go stale when delta changes and are skipped when popped.
    free_heap = [(-delta[n], n) for n in graph.nodes if not protected_in[n]]
    any_heap = [(-delta[n], n) for n in graph.nodes]
    heapq.heapify(free_heap)
    heapq.heapify(any_heap)
    sinks = deque(sorted(n for n in graph.nodes if not succ[n]))
    sources = deque(sorted(n for n in graph.nodes if not pred[n]))

    def remove(n: str) -> None:
        remaining.discard(n)
        for t, w in succ.pop(n).items():
            del pred[t][n]
            delta[t] += w
            if (n, t) in graph.protected:
                protected_in[t] -= 1
            _push(t)
            if not pred[t]:
                sources.append(t)
        for s, w in pred.pop(n).items():
            del succ[s][n]
            delta[s] -= w
            _push(s)
            if not succ[s]:
                sinks.append(s)

    def _push(n: str) -> None:
        heapq.heappush(any_heap, (-delta[n], n))
        if not protected_in[n]:
            heapq.heappush(free_heap, (-delta[n], n))

    def best(heap: list[tuple[int, str]], free_only: bool) -> str | None:
        while heap:
            d, n = heap[0]
            if n in remaining and -d == delta[n] and not (free_only and protected_in[n]):
                return n
            heapq.heappop(heap)
        return None

    while remaining:
        if sinks:
            n = sinks.popleft()
            if n in remaining:
                back.append(n)
                remove(n)
            continue
        if sources:
            n = sources.popleft()
            if n in remaining:
                front.append(n)
                remove(n)
            continue
        # Prefer a node whose protected importers are all placed; if none (the protected
        # edges form a cycle), any node.
        chosen = best(free_heap, True) or best(any_heap, False)
        assert chosen is not None  # remaining is non-empty, so both heaps hold a live entry
        front.append(chosen)
        remove(chosen)
    return front + back[::-1]


def _minimal(graph: _Graph, cut: set[Edge]) -> set[Edge]:
    """Put back every cut edge whose return closes no cycle: protected first, then heaviest."""
    kept: dict[str, set[str]] = {n: set() for n in graph.nodes}
    for s, t in graph.weight:
        if (s, t) not in cut and s != t:
            kept[s].add(t)
    order = sorted(cut, key=lambda e: (e not in graph.protected, -graph.weight[e], e))
    result = set(cut)
    for s, t in order:
        if not _reaches(kept, t, s):  # s -> t closes a cycle only if t already reaches s
            kept[s].add(t)
            result.discard((s, t))
    return result


def _reaches(succ: Mapping[str, Iterable[str]], start: str, goal: str) -> bool:
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        for nxt in succ[node]:
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def is_acyclic(nodes: Iterable[str], edges: Iterable[Edge]) -> bool:
    """Kahn's algorithm: True when every node can be placed in topological order."""
    indegree = dict.fromkeys(nodes, 0)
    succ: dict[str, list[str]] = {n: [] for n in indegree}
    for s, t in edges:
        if s == t:
            return False
        succ[s].append(t)
        indegree[t] += 1
    ready = [n for n, d in indegree.items() if not d]
    placed = 0
    while ready:
        n = ready.pop()
        placed += 1
        for t in succ[n]:
            indegree[t] -= 1
            if not indegree[t]:
                ready.append(t)
    return placed == len(indegree)
