"""The import graph as adjacency for path searches (cycles live in coderev.architecture.cycles).

`ImportIndex` holds the graph in plain dicts (faster than networkx for the many small BFS runs
contracts need).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from coderev.domain.architecture import ImportEdge, ModuleNode


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
