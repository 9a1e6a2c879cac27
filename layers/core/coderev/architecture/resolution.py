"""Import statements (RawImport) resolved to edges between module names (ImportEdge).

Resolution follows grimp (3.x, checked against its scanner on synthetic trees):

- `import a.b.c` is an edge to `a.b.c` when that is a module, else to its parent `a.b` when
  that is one (`c` was then a name in `a.b`), else to nothing.
- `from a.b import c` is an edge to `a.b.c` when that is a module, else to `a.b` when that is
  one, else to nothing; `from a.b import *` is an edge to `a.b` when that is a module.
- Only one level is climbed: a target inside an analysed package that is neither a module nor a
  module's attribute makes no edge. That is what keeps namespace subfolders honest: a directory
  without `__init__.py` inside a regular package is no module (see coderev.architecture.modules),
  and `from pkg.data.loader import x` for `pkg/data/loader.py` is no edge at all, where the old
  "nearest known ancestor" rule made it an edge to `pkg` and invented cycles through it.
- Relative imports are resolved against the importing module's package: the module's parent,
  or the module itself when it is a package (`from . import x` in `pkg/__init__.py` is `pkg.x`).
  A relative import reaching above the top-level package is dropped, as Python would fail it.
- A target outside every analysed top-level package is external: the edge goes to its top-level
  name (`requests`, `os`) with `external=True`. `stdlib` can be told apart with
  `sys.stdlib_module_names`.
- A module importing itself (`from . import name` in `pkg/__init__.py` for a name defined there,
  rich's `from . import box` in rich/box.py) keeps its self-edge, as grimp does; the cycle
  finder ignores self-edges.

Edges are deduplicated per (source, target, line); the edge keeps the strongest kind among the
statements on that line (import-time over deferred over type-checking).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Set

from coderev.domain.architecture import ImportEdge, ModuleNode
from coderev.domain.code import RawImport


def resolve_imports(
    module: ModuleNode,
    imports: Iterable[RawImport],
    known: Set[str],
    roots: Collection[str] = (),
) -> list[ImportEdge]:
    """The edges `module`'s import statements make, in statement order, once per target/line.

    `roots` are the analysed top-level packages (dotted names; a namespace root may have dots):
    a target below one of them is internal. Without roots, a target is internal when its first
    component names a known module.
    """
    edges: dict[tuple[str, int], ImportEdge] = {}
    roots = roots if isinstance(roots, frozenset | set) else frozenset(roots)
    for raw in imports:
        for target in _targets(module, raw, known, roots):
            key = (target, raw.line)
            previous = edges.get(key)
            kind = raw.kind
            if previous is not None and previous.kind.strength > kind.strength:
                kind = previous.kind
            edges[key] = ImportEdge(
                source=module.name,
                target=target,
                line=raw.line,
                kind=kind,
                external=target not in known,
            )
    return list(edges.values())


def absolute_module(module: ModuleNode, raw: RawImport) -> str:
    """The absolute dotted module an import statement names ("" when it climbs out)."""
    if not raw.level:
        return raw.module
    base = _relative_base(module, raw.level)
    if base is None:
        return ""
    return f"{base}.{raw.module}" if raw.module else base


def _targets(
    module: ModuleNode, raw: RawImport, known: Set[str], roots: Collection[str]
) -> list[str]:
    absolute = absolute_module(module, raw)
    if not absolute:
        return []
    if not raw.is_from:
        found = _resolve(absolute, known, roots)
        return [found] if found else []
    targets: list[str] = []
    for name in raw.names:
        found = _resolve(f"{absolute}.{name}", known, roots)
        if found and found not in targets:
            targets.append(found)
    return targets


def _relative_base(module: ModuleNode, level: int) -> str | None:
    """The package `level` dots refer to, or None when the import climbs out of the tree."""
    parts = module.name.split(".")
    if not module.is_package:
        parts = parts[:-1]
    drop = level - 1
    if drop > len(parts) - 1 or not parts:
        return None
    return ".".join(parts[: len(parts) - drop])


def _resolve(name: str, known: Set[str], roots: Collection[str]) -> str | None:
    """`name`, or its parent when `name` is an attribute of it; None for an unknown internal name.

    A `*` import arrives as `package.*`: its parent is the package.
    """
    if name in known:
        return name
    parent = name.rpartition(".")[0]
    if parent and parent in known:
        return parent
    if _is_internal(name, known, roots):
        return None
    return name.partition(".")[0]


def _is_internal(name: str, known: Set[str], roots: Collection[str]) -> bool:
    if not roots:
        return name.partition(".")[0] in known
    # Each dotted prefix of `name` looked up: fast with hundreds of roots (Django's tests/).
    prefix = ""
    for part in name.split("."):
        prefix = f"{prefix}.{part}" if prefix else part
        if prefix in roots:
            return True
    return False
