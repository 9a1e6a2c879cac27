"""Import chains between the modules of a contract, found the ways grimp finds them for
import-linter 2.x (compared with grimp itself in the tests):

- illegal_chains: one shortest chain per (source, target) pair; direct imports only on request;
- disjoint_chains: grimp's find_shortest_chains (forbidden and independence contracts): the
  shortest chain from any source to any target, then the next shortest once that chain's
  imports are removed, until none is left;
- layer_chains: grimp's find_illegal_dependencies_for_layers (layers contracts): every direct
  import between the two layers, then the shortest indirect chain, again and again with the
  modules in the middle of the chains found so far taken out; each middle is reported with
  every layer module that imports its first module and every one its last module imports.

Intermediate links are never sources or targets, nor barrier modules (the other layers').
Searches are breadth first, from what a contract needs only: first backwards from the targets
to find the modules that can reach them, then forwards from the sources through those.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from itertools import pairwise, product

from coderev.architecture.graph import ImportIndex


def illegal_chains(
    index: ImportIndex,
    sources: Iterable[str],
    targets: Iterable[str],
    barrier: Iterable[str] = (),
    direct_only: bool = False,
) -> list[tuple[str, ...]]:
    """One shortest chain per (source, target) pair that a source reaches.

    Intermediate links are never sources, targets or barrier modules. Sorted by chain.
    """
    source_set, target_set = set(sources), set(targets)
    if direct_only:
        return sorted(
            (s, t) for s in source_set for t in index.successors.get(s, ()) if t in target_set
        )
    blocked = source_set | target_set | set(barrier)
    hot = _reaching(index, target_set, blocked)
    chains: list[tuple[str, ...]] = []
    for source in sorted(source_set):
        parent: dict[str, str] = {source: source}
        queue = deque([source])
        while queue:
            node = queue.popleft()
            for nxt in index.successors.get(node, ()):
                if nxt in parent or (nxt not in hot and nxt not in target_set):
                    continue
                parent[nxt] = node
                if nxt in target_set:
                    chain = [nxt]
                    while chain[-1] != source:
                        chain.append(parent[chain[-1]])
                    chains.append(tuple(reversed(chain)))
                else:
                    queue.append(nxt)
    return sorted(chains)


def disjoint_chains(
    index: ImportIndex, sources: Iterable[str], targets: Iterable[str]
) -> list[tuple[str, ...]]:
    """Import chains from the sources to the targets as grimp 3's find_shortest_chains finds
    them (import-linter's forbidden contracts): the shortest chain from any source to any
    target, then, with that chain's imports removed, the next shortest, until none is left.
    Intermediate links are never sources or targets. Sorted by chain."""
    source_set, target_set = set(sources), set(targets)
    hot = _reaching(index, target_set, source_set | target_set)
    removed: set[tuple[str, str]] = set()
    chains: list[tuple[str, ...]] = []
    while (chain := _shortest(index, sorted(source_set), target_set, hot, removed)) is not None:
        chains.append(chain)
        removed.update(pairwise(chain))
    return sorted(chains)


def _shortest(
    index: ImportIndex,
    sources: list[str],
    targets: set[str],
    hot: set[str],
    removed: set[tuple[str, str]],
) -> tuple[str, ...] | None:
    """One shortest chain from any source to any target through `hot` modules, without the
    `removed` imports (breadth first from all sources at once)."""
    parent: dict[str, str] = {s: s for s in sources}
    queue = deque(sources)
    while queue:
        node = queue.popleft()
        for nxt in index.successors.get(node, ()):
            if (node, nxt) in removed:
                continue
            if nxt in targets:
                chain = [nxt, node]
                while parent[chain[-1]] != chain[-1]:
                    chain.append(parent[chain[-1]])
                return tuple(reversed(chain))
            if nxt not in parent and nxt in hot:
                parent[nxt] = node
                queue.append(nxt)
    return None


def _reaching(index: ImportIndex, targets: set[str], blocked: set[str]) -> set[str]:
    """Unblocked modules from which some target can be reached through unblocked modules."""
    predecessors = index.predecessors()
    hot: set[str] = set()
    queue = deque(targets)
    while queue:
        node = queue.popleft()
        for p in predecessors.get(node, ()):
            if p not in hot and p not in blocked:
                hot.add(p)
                queue.append(p)
    return hot


def layer_chains(
    index: ImportIndex, sources: Iterable[str], targets: Iterable[str], barrier: Iterable[str]
) -> list[tuple[str, ...]]:
    """grimp's chains from a lower layer's modules to a higher one's, as import-linter reports
    them (see the module docstring). Sorted by chain."""
    source_set, target_set = set(sources), set(targets)
    direct = illegal_chains(index, source_set, target_set, direct_only=True)
    chains: set[tuple[str, ...]] = set(direct)
    imports = {(chain[0], chain[1]) for chain in direct}
    out_of_play = set(barrier) - source_set - target_set
    while True:
        hot = _reaching(index, target_set, source_set | target_set | out_of_play)
        chain = _shortest(index, sorted(source_set), target_set, hot, imports)
        if chain is None:
            break
        middle = chain[1:-1]
        heads = [s for s in sorted(source_set) if middle[0] in index.successors.get(s, ())]
        tails = [t for t in index.successors.get(middle[-1], ()) if t in target_set]
        chains.update((h, *middle, t) for h, t in product(heads, tails))
        out_of_play.update(middle)
    return sorted(chains)
