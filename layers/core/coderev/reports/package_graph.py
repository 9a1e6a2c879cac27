"""Which packages the report's dependency graph draws, and the imports between them.

At the scale of a large project (Django: 630 packages) a graph of every package is a hairball,
so the graph keeps the packages a reader most needs: every package on an import-time cycle
(cycles closed only by deferred or type-checking imports break nothing and are not drawn), then
the most coupled ones (afferent + efferent coupling, the figures of the coupling table; test
packages only when room is left) up to `max_nodes`. A module whose own package is not drawn is
drawn as its nearest drawn ancestor package (so `django.db` stands for `django.db.backends` too
when that one is left out); a module with no drawn ancestor is left out, and the count of
packages left out is shown.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass

from coderev.domain.architecture import ArchitectureResult, ImportKind

MAX_NODES = 30


@dataclass(frozen=True, slots=True)
class PackageGraph:
    nodes: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]
    cyclic_nodes: frozenset[str]
    cyclic_edges: frozenset[tuple[str, str]]  # imports inside an import-time cycle
    cut_edges: frozenset[tuple[str, str]]  # imports a cycle's cut removes (between packages)
    omitted: int  # packages not drawn
    imports: dict[tuple[str, str], int]  # module-level imports behind each drawn edge
    coupling: dict[str, int]  # Ca + Ce of each drawn package (0 when it has no metrics)


def package_of(module: str, packages: set[str]) -> str:
    """The innermost package holding `module` (the module itself when it is a package)."""
    name = module
    while name:
        if name in packages:
            return name
        name = name.rpartition(".")[0]
    return module.partition(".")[0]


def _nearest(module: str, kept: set[str]) -> str | None:
    name = module
    while name:
        if name in kept:
            return name
        name = name.rpartition(".")[0]
    return None


def package_graph(
    arch: ArchitectureResult,
    max_nodes: int = MAX_NODES,
    test_packages: Collection[str] = (),
) -> PackageGraph:
    """The graph to draw; `test_packages` are drawn only when room is left after the others."""
    packages = {m.name for m in arch.modules if m.is_package}
    innermost = {m.name: package_of(m.name, packages) for m in arch.modules}
    every = set(innermost.values())
    coupling = {p.package: p.afferent + p.efferent for p in arch.package_metrics}
    cycles = arch.cycles  # import-time cycles only: the others cannot break an import
    on_cycle = {innermost[m] for c in cycles for m in c.modules if m in innermost}
    tests = set(test_packages)
    ranked = sorted(every - on_cycle, key=lambda p: (p in tests, -coupling.get(p, 0), p))
    kept = on_cycle | set(ranked[: max(0, max_nodes - len(on_cycle))])
    owner = {m: _nearest(m, kept) for m in innermost}

    imports: Counter[tuple[str, str]] = Counter()
    for e in arch.imports:
        a, b = owner.get(e.source), owner.get(e.target)
        if not e.external and a is not None and b is not None and a != b:
            imports[(a, b)] += 1
    cyclic_edges: set[tuple[str, str]] = set()
    for cycle in cycles:
        members = set(cycle.modules)
        # every import-time import inside the component, not only the shortest path
        for e in arch.imports:
            if e.kind is ImportKind.IMPORT_TIME and e.source in members and e.target in members:
                a, b = owner.get(e.source), owner.get(e.target)
                if a is not None and b is not None and a != b:
                    cyclic_edges.add((a, b))
    cut_edges = {
        (a, b)
        for cycle in cycles
        for cut in cycle.cut
        if (a := owner.get(cut.source)) is not None
        and (b := owner.get(cut.target)) is not None
        and a != b
    }
    return PackageGraph(
        nodes=tuple(sorted(kept)),
        edges=tuple(sorted(imports)),
        cyclic_nodes=frozenset(on_cycle),
        cyclic_edges=frozenset(cyclic_edges),
        cut_edges=frozenset(cut_edges),
        omitted=len(every) - len(kept),
        imports=dict(imports),
        coupling={p: coupling.get(p, 0) for p in kept},
    )
