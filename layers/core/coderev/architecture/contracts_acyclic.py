"""The acyclic_siblings contract, with import-linter 2.x's semantics (checked against it in the
tests): below each ancestor, the children (each child with its descendants taken as one) must
not import each other in a cycle; the check repeats for each child, `depth` levels down, but
not below a `skip_descendants` module. Imports of or by the ancestor module itself take no part.

import-linter reports a set of imports whose removal would break the cycles (grimp's
heuristic); coderev reports each cycle of children instead: one violation per strongly connected
group of children, with its shortest cycle as the chain (child -> child -> ... -> first child),
located at the first import that makes its first link. The contract is broken, or kept, exactly
when import-linter says so, for the same packages.
"""

from __future__ import annotations

from collections import deque

from coderev.architecture.contract_modules import matching
from coderev.architecture.graph import ImportIndex
from coderev.domain.architecture import ContractViolation
from coderev.domain.config import AcyclicSiblingsContract


def check_acyclic_siblings(
    contract: AcyclicSiblingsContract, index: ImportIndex
) -> list[ContractViolation]:
    ancestors = sorted({m for e in contract.ancestors for m in matching(index, e, contract.name)})
    skipped = {m for e in contract.skip_descendants for m in matching(index, e, contract.name)}
    children: dict[str, list[str]] = {}
    for name in sorted(index.modules):
        parent = name.rpartition(".")[0]
        if parent:
            children.setdefault(parent, []).append(name)
    out: list[ContractViolation] = []
    pending = [(a, contract.depth) for a in reversed(ancestors)]
    done: set[str] = set()
    while pending:
        package, depth = pending.pop()
        if package in done:
            continue
        done.add(package)
        kids = children.get(package, [])
        if len(kids) >= 2:
            out.extend(_cycles(contract, package, index))
        if depth:
            pending.extend((k, depth - 1) for k in reversed(kids) if k not in skipped)
    return out


def _cycles(
    contract: AcyclicSiblingsContract, package: str, index: ImportIndex
) -> list[ContractViolation]:
    """One violation per cycle group among `package`'s children."""
    prefix = package + "."
    depth = package.count(".") + 1

    def child(module: str) -> str | None:
        if not module.startswith(prefix):
            return None
        return ".".join(module.split(".")[: depth + 1])

    links: dict[str, dict[str, tuple[str, str]]] = {}  # child -> child -> first import
    for source, targets in sorted(index.successors.items()):
        a = child(source)
        if a is None:
            continue
        for target in targets:
            b = child(target)
            if b is not None and b != a:
                links.setdefault(a, {}).setdefault(b, (source, target))
    out = []
    for group in _strong_groups(links):
        cycle = _shortest_cycle(group[0], links, set(group))
        source, target = links[cycle[0]][cycle[1]]
        node = index.modules.get(source)
        out.append(
            ContractViolation(
                contract=contract.name,
                contract_type="acyclic_siblings",
                importer=cycle[0],
                imported=cycle[1],
                chain=cycle,
                path=node.path if node else "",
                line=index.first_line.get((source, target), 0),
                message=f"children of {package} import each other in a cycle: "
                f"{' -> '.join(cycle)} ({source} imports {target})",
            )
        )
    return out


def _strong_groups(links: dict[str, dict[str, tuple[str, str]]]) -> list[list[str]]:
    """Strongly connected groups of two or more children, each sorted, in order of their first."""
    import networkx as nx  # imported when used, as in coderev.architecture.graph

    graph = nx.DiGraph()
    graph.add_edges_from((a, b) for a, targets in links.items() for b in targets)
    groups = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    return sorted(groups)


def _shortest_cycle(
    start: str, links: dict[str, dict[str, tuple[str, str]]], group: set[str]
) -> tuple[str, ...]:
    parent: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        for nxt in sorted(links.get(node, {})):
            if nxt not in group:
                continue
            if nxt == start:
                path = [node]
                while path[-1] != start:
                    path.append(parent[path[-1]])
                return (*reversed(path), start)
            if nxt not in parent:
                parent[nxt] = node
                queue.append(nxt)
    return (start, start)
