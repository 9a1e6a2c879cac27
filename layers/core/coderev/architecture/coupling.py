"""Package coupling metrics (Robert C. Martin), computed on the internal import graph.

Definitions used, per package P (every module that is a package: regular or namespace):

- inside(P): P itself and every module below it (its descendants, at any depth).
- Ca (afferent coupling): the number of modules outside P that import at least one module
  inside P.
- Ce (efferent coupling): the number of modules outside P that modules inside P import.
  Internal modules only: imports of external packages (stdlib, third party) do not count.
- I (instability) = Ce / (Ca + Ce); 0 when Ca + Ce = 0.
- A (abstractness) = abstract classes / classes, over the classes defined in modules inside P
  (ClassInfo.is_abstract, decided per file by coderev.analysis.python_scopes: an ABC or
  Protocol base, an ABCMeta metaclass, an @abstractmethod, or a method that only raises
  NotImplementedError); 0 without classes.
- D (distance from the main sequence) = |A + I - 1|.

Imports under `if TYPE_CHECKING:` count: they are dependencies of the source, if not of the
running program. A module's import of itself never counts (it is not outside itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from coderev.domain.architecture import ImportEdge, ModuleNode, PackageMetrics
from coderev.domain.code import ClassInfo


def package_metrics(
    modules: Mapping[str, ModuleNode],
    edges: Iterable[ImportEdge],
    classes: Mapping[str, Iterable[ClassInfo]],
) -> tuple[PackageMetrics, ...]:
    """Metrics of every package, sorted by package name. `classes` is keyed by module name."""
    succ: dict[str, set[str]] = {}
    pred: dict[str, set[str]] = {}
    for e in edges:
        if e.external or e.source == e.target:
            continue
        succ.setdefault(e.source, set()).add(e.target)
        pred.setdefault(e.target, set()).add(e.source)

    inside: dict[str, list[str]] = {name: [] for name, m in modules.items() if m.is_package}
    for name in modules:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):
            ancestor = ".".join(parts[:end])
            if ancestor in inside:
                inside[ancestor].append(name)

    counts: dict[str, tuple[int, int]] = {}
    for name in modules:
        defined = list(classes.get(name, ()))
        counts[name] = (len(defined), sum(1 for c in defined if c.is_abstract))
    out = []
    for package, members in sorted(inside.items()):
        prefix = package + "."

        def outside(m: str, package: str = package, prefix: str = prefix) -> bool:
            return m != package and not m.startswith(prefix)

        afferent = {p for m in members for p in pred.get(m, ()) if outside(p)}
        efferent = {t for m in members for t in succ.get(m, ()) if outside(t)}
        n_classes = sum(counts[m][0] for m in members)
        n_abstract = sum(counts[m][1] for m in members)
        ca, ce = len(afferent), len(efferent)
        instability = ce / (ca + ce) if ca + ce else 0.0
        abstractness = n_abstract / n_classes if n_classes else 0.0
        out.append(
            PackageMetrics(
                package=package,
                afferent=ca,
                efferent=ce,
                instability=round(instability, 4),
                abstractness=round(abstractness, 4),
                distance=round(abs(abstractness + instability - 1), 4),
                modules=len(members),
                classes=n_classes,
                abstract_classes=n_abstract,
            )
        )
    return tuple(out)
