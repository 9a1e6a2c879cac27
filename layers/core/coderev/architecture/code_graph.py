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

`code_graph_inputs` and `build_code_graph_from` are the same build for another process (the
direct review builds and writes the graph in a pool worker, see coderev.pipeline.graph_writes):
only the fields build_code_graph reads, as plain tuples, which pickle in about a third of the
time of the analyses and architecture themselves (Django: ~110 ms against ~320 ms, paid by the
process that sends them).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from operator import attrgetter
from typing import Any

from coderev.architecture.resolution import absolute_module
from coderev.domain.architecture import ArchitectureResult, ImportEdge, ImportKind, ModuleNode
from coderev.domain.code import ClassInfo, FileAnalysis, RawImport
from coderev.domain.metrics import FileMetrics, FunctionMetrics
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


_FunctionRow = tuple[str, str, int, int, int, int, int, bool]
_ClassRow = tuple[str, str, int, tuple[str, ...], bool]
_ImportRow = tuple[str, tuple[str, ...], int, bool]
_MetricsRow = tuple[int, int, float, tuple[_FunctionRow, ...]]
_FileRow = tuple[str, _MetricsRow | None, tuple[_ImportRow, ...], tuple[_ClassRow, ...]]
# the analysed files in modules, the modules, the import edges
CodeGraphInputs = tuple[
    tuple[_FileRow, ...],
    tuple[tuple[str, str, bool], ...],
    tuple[tuple[str, str, int, ImportKind, bool], ...],
]

# what build_code_graph reads, and only that: adding a read means adding it here
_function_row = attrgetter(
    "name", "qualname", "line", "end_line", "complexity", "length", "parameters", "is_method"
)
_class_row = attrgetter("name", "qualname", "line", "bases", "is_abstract")
_import_row = attrgetter("module", "names", "level", "is_from")
_module_row = attrgetter("name", "path", "is_package")
_edge_row = attrgetter("source", "target", "line", "kind", "external")


def code_graph_inputs(files: Sequence[FileAnalysis], result: ArchitectureResult) -> CodeGraphInputs:
    """What build_code_graph reads of `files` and `result`, as plain tuples (see the module
    docstring): `build_code_graph_from` of them is `build_code_graph(files, result)`."""
    in_modules = {m.path for m in result.modules if m.path}
    rows: list[_FileRow] = []
    for f in files:
        if f.path not in in_modules:
            continue
        m = f.metrics
        metrics: _MetricsRow | None = None
        if m is not None:
            functions = tuple(map(_function_row, m.functions))
            metrics = (m.loc, m.complexity, m.maintainability_index, functions)
        imports = tuple(map(_import_row, f.imports))
        rows.append((f.path, metrics, imports, tuple(map(_class_row, f.classes))))
    modules = tuple(map(_module_row, result.modules))
    return tuple(rows), modules, tuple(map(_edge_row, result.imports))


def build_code_graph_from(
    inputs: CodeGraphInputs,
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """build_code_graph of the analyses and architecture `inputs` came from: they are made
    again with what build_code_graph reads, zeros and empty tuples for the rest."""
    rows, module_rows, edge_rows = inputs
    files = [
        FileAnalysis(
            path,
            "python",
            0,
            None if metrics is None else _metrics(*metrics),
            tuple(RawImport(m, names, level, 0, is_from) for m, names, level, is_from in imports),
            tuple(ClassInfo(*c) for c in classes),
            (),
        )
        for path, metrics, imports, classes in rows
    ]
    result = ArchitectureResult(
        root_packages=(),
        modules=tuple(ModuleNode(*m) for m in module_rows),
        imports=tuple(ImportEdge(*e) for e in edge_rows),
        cycles=(),
        violations=(),
        package_metrics=(),
    )
    return build_code_graph(files, result)


def _metrics(
    loc: int, complexity: int, maintainability: float, functions: tuple[_FunctionRow, ...]
) -> FileMetrics:
    return FileMetrics(
        loc=loc,
        sloc=0,
        lloc=0,
        comments=0,
        multi=0,
        blank=0,
        maintainability_index=maintainability,
        complexity=complexity,
        functions=tuple(
            FunctionMetrics(name, qual, line, end, cc, length, params, 0, is_method)
            for name, qual, line, end, cc, length, params, is_method in functions
        ),
    )


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
