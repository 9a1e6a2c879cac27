"""The code graph written through the GraphStore port: modules, packages, classes, functions.

Nodes (ids are stable across runs):
- `module:<name>` labelled "Package" or "Module" (external top-level modules too, with
  `external: true` and `stdlib` from sys.stdlib_module_names);
- `class:<module>.<qualname>` "Class"; `function:<module>.<qualname>` "Function".

Edges:
- IMPORTS module -> module, once per pair, with the sorted `lines`, the strongest `kind` among
  them (import-time, deferred, type-checking) and whether every one is under TYPE_CHECKING;
- CONTAINS package -> module, module -> top-level class/function, class -> method or nested
  class, function -> nested function or class;
- INHERITS class -> internal base class. Bases are resolved through the names the module
  defines and the names it imports (`from x import Base`, `import x.y` then `x.y.Base`),
  following re-exports (`from .models import Base` in a package __init__) a few hops deep.
  `import a.b as c` aliases are not recorded by RawImport, so `c.Base` stays unresolved.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from coderev.architecture.resolution import absolute_module
from coderev.domain.architecture import ArchitectureResult, ImportKind, ModuleNode
from coderev.domain.code import FileAnalysis
from coderev.ports import GraphEdge, GraphNode

_MAX_HOPS = 4


def build_code_graph(
    files: Sequence[FileAnalysis], result: ArchitectureResult
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Nodes and edges of the code graph, sorted by id / (source, type, target)."""
    modules = {m.name: m for m in result.modules}
    by_path = {m.path: m for m in result.modules if m.path}
    analyses = {by_path[f.path].name: f for f in files if f.path in by_path}
    nodes: dict[str, GraphNode] = {}
    edges: list[GraphEdge] = []
    for m in result.modules:
        nodes[_mid(m.name)] = GraphNode(
            _mid(m.name),
            "Package" if m.is_package else "Module",
            _module_props(m, analyses.get(m.name)),
        )
        parent = m.name.rpartition(".")[0]
        if parent in modules:
            edges.append(GraphEdge(_mid(parent), _mid(m.name), "CONTAINS"))
    _add_imports(result, nodes, edges)
    resolver = _BaseResolver(modules, analyses)
    for name, analysis in sorted(analyses.items()):
        _add_members(name, analysis, resolver, nodes, edges)
    edges.sort(key=lambda e: (e.source, e.type, e.target))
    return sorted(nodes.values(), key=lambda n: n.id), edges


def _mid(name: str) -> str:
    return f"module:{name}"


def _module_props(m: ModuleNode, analysis: FileAnalysis | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        "name": m.name,
        "path": m.path,
        "is_package": m.is_package,
        "external": False,
    }
    if analysis is not None and analysis.metrics is not None:
        props["loc"] = analysis.metrics.loc
        props["complexity"] = analysis.metrics.complexity
        props["maintainability_index"] = analysis.metrics.maintainability_index
    return props


def _add_imports(
    result: ArchitectureResult, nodes: dict[str, GraphNode], edges: list[GraphEdge]
) -> None:
    pairs: dict[tuple[str, str], list[int]] = {}
    kinds: dict[tuple[str, str], ImportKind] = {}
    for e in result.imports:
        key = (e.source, e.target)
        pairs.setdefault(key, []).append(e.line)
        if key not in kinds or e.kind.strength > kinds[key].strength:
            kinds[key] = e.kind
        if e.external and _mid(e.target) not in nodes:
            nodes[_mid(e.target)] = GraphNode(
                _mid(e.target),
                "Module",
                {"name": e.target, "external": True, "stdlib": e.target in sys.stdlib_module_names},
            )
    for (source, target), lines in pairs.items():
        edges.append(
            GraphEdge(
                _mid(source),
                _mid(target),
                "IMPORTS",
                {
                    "lines": sorted(set(lines)),
                    # the strongest kind among its statements; type_checking when all are
                    "kind": kinds[(source, target)].value,
                    "type_checking": kinds[(source, target)] is ImportKind.TYPE_CHECKING,
                },
            )
        )


def _strip_locals(qualname: str) -> str:
    if "<locals>" not in qualname:
        return qualname
    return ".".join(p for p in qualname.split(".") if p != "<locals>")


def _add_members(
    module: str,
    analysis: FileAnalysis,
    resolver: _BaseResolver,
    nodes: dict[str, GraphNode],
    edges: list[GraphEdge],
) -> None:
    classes = {_strip_locals(c.qualname): c for c in analysis.classes}
    functions = {
        _strip_locals(f.qualname): f
        for f in (analysis.metrics.functions if analysis.metrics else ())
    }

    def owner(qualname: str) -> str:
        parent = qualname.rpartition(".")[0]
        if parent in classes:
            return f"class:{module}.{parent}"
        if parent in functions:
            return f"function:{module}.{parent}"
        return _mid(module)

    for qual, c in classes.items():
        cid = f"class:{module}.{qual}"
        nodes[cid] = GraphNode(
            cid,
            "Class",
            {
                "name": c.name,
                "qualname": qual,
                "module": module,
                "line": c.line,
                "abstract": c.is_abstract,
            },
        )
        edges.append(GraphEdge(owner(qual), cid, "CONTAINS"))
        for base in c.bases:
            target = resolver.resolve(module, base)
            if target is not None and target != cid:
                edges.append(GraphEdge(cid, target, "INHERITS", {"base": base}))
    for qual, f in functions.items():
        fid = f"function:{module}.{qual}"
        nodes[fid] = GraphNode(
            fid,
            "Function",
            {
                "name": f.name,
                "qualname": qual,
                "module": module,
                "line": f.line,
                "end_line": f.end_line,
                "complexity": f.complexity,
                "length": f.length,
                "parameters": f.parameters,
                "is_method": f.is_method,
            },
        )
        edges.append(GraphEdge(owner(qual), fid, "CONTAINS"))


class _BaseResolver:
    """Finds the internal class a base-class expression names, as seen from one module."""

    def __init__(self, modules: Mapping[str, ModuleNode], analyses: Mapping[str, FileAnalysis]):
        self.modules = modules
        self.classes = {
            name: {_strip_locals(c.qualname) for c in a.classes} for name, a in analyses.items()
        }
        # name bound in a module -> the absolute dotted name it stands for
        self.bindings: dict[str, dict[str, str]] = {}
        for name, a in analyses.items():
            bound: dict[str, str] = {}
            for raw in a.imports:
                absolute = absolute_module(modules[name], raw)
                if not absolute:
                    continue
                if raw.is_from:
                    for n in raw.names:
                        if n != "*":
                            bound[n] = f"{absolute}.{n}"
                else:
                    head = absolute.partition(".")[0]
                    bound[head] = head
            self.bindings[name] = bound

    def resolve(self, module: str, expression: str, hops: int = 0) -> str | None:
        dotted = expression.partition("[")[0].strip()  # Generic[T] -> Generic
        if dotted in self.classes.get(module, ()):
            return f"class:{module}.{dotted}"
        head, _, rest = dotted.partition(".")
        bound = self.bindings.get(module, {}).get(head)
        if bound is None or hops >= _MAX_HOPS:
            return None
        return self._absolute(f"{bound}.{rest}" if rest else bound, hops + 1)

    def _absolute(self, dotted: str, hops: int) -> str | None:
        """The class an absolute dotted name refers to: the longest module prefix, then a name."""
        parts = dotted.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            module = ".".join(parts[:cut])
            if module in self.modules:
                return self.resolve(module, ".".join(parts[cut:]), hops)
        return None
