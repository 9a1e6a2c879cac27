"""Import statements (RawImport) resolved to edges between module names (ImportEdge).

Resolution follows grimp:

- `import a.b.c` is an edge to `a.b.c`, or to its nearest ancestor that is a known module.
- `from a.b import c` is an edge to `a.b.c` when that is a module, else to `a.b` (or its nearest
  known ancestor): `c` was then a name defined in `a.b`.
- Relative imports are resolved against the importing module's package: the module's parent,
  or the module itself when it is a package (`from . import x` in `pkg/__init__.py` is `pkg.x`).
  A relative import reaching above the top-level package is dropped, as Python would fail it.
- A target none of whose ancestors is a known module is external: the edge goes to its top-level
  name (`requests`, `os`) with `external=True`. `stdlib` can be told apart with
  `sys.stdlib_module_names`.
- A module importing itself (`from . import name` in `pkg/__init__.py` for a name defined there,
  rich's `from . import box` in `rich/box.py`) keeps its self-edge, as grimp does; the cycle
  finder ignores self-edges.

Edges are deduplicated per (source, target, line); `type_checking` is kept when every import
statement giving that edge on that line sits under `if TYPE_CHECKING:`.
"""

from __future__ import annotations

from collections.abc import Iterable, Set

from coderev.domain.architecture import ImportEdge, ModuleNode
from coderev.domain.code import RawImport


def resolve_imports(
    module: ModuleNode, imports: Iterable[RawImport], known: Set[str]
) -> list[ImportEdge]:
    """The edges `module`'s import statements make, in statement order, once per target/line."""
    edges: dict[tuple[str, int], ImportEdge] = {}
    for raw in imports:
        for target in _targets(module, raw, known):
            key = (target, raw.line)
            previous = edges.get(key)
            type_checking = raw.type_checking and (previous is None or previous.type_checking)
            edges[key] = ImportEdge(
                source=module.name,
                target=target,
                line=raw.line,
                type_checking=type_checking,
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


def _targets(module: ModuleNode, raw: RawImport, known: Set[str]) -> list[str]:
    absolute = absolute_module(module, raw)
    if not absolute:
        return []
    if not raw.is_from:
        return [_nearest(absolute, known)]
    targets: list[str] = []
    for name in raw.names:
        candidate = f"{absolute}.{name}"
        target = candidate if name != "*" and candidate in known else _nearest(absolute, known)
        if target not in targets:
            targets.append(target)
    return targets or [_nearest(absolute, known)]


def _relative_base(module: ModuleNode, level: int) -> str | None:
    """The package `level` dots refer to, or None when the import climbs out of the tree."""
    parts = module.name.split(".")
    if not module.is_package:
        parts = parts[:-1]
    drop = level - 1
    if drop > len(parts) - 1 or not parts:
        return None
    return ".".join(parts[: len(parts) - drop])


def _nearest(name: str, known: Set[str]) -> str:
    """`name` or its nearest known ancestor; else the top-level name (an external module)."""
    candidate = name
    while True:
        if candidate in known:
            return candidate
        if "." not in candidate:
            return name.partition(".")[0]
        candidate = candidate.rpartition(".")[0]
