"""Entry point of the architecture room: per-file analyses in, ArchitectureResult out (no I/O).

Also turns the result into findings: CR-ARCH-001 (contract violation, high) and CR-ARCH-002
(import cycle: medium inside one package, high when its modules sit in different packages; a
package's __init__ belongs to the package itself).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from coderev.architecture.contracts import check_contracts
from coderev.architecture.coupling import package_metrics
from coderev.architecture.graph import ImportIndex, find_cycles, internal_digraph
from coderev.architecture.modules import discover_modules
from coderev.architecture.resolution import resolve_imports
from coderev.domain.architecture import ArchitectureResult, ContractViolation, Cycle, ImportEdge
from coderev.domain.code import ClassInfo, FileAnalysis
from coderev.domain.config import ProjectConfig
from coderev.domain.findings import Category, Finding, Severity, fingerprint

CONTRACT_RULE = "CR-ARCH-001"
CYCLE_RULE = "CR-ARCH-002"
_PYTHON_SUFFIXES = (".py", ".pyi")


def analyze_architecture(
    files: Sequence[FileAnalysis], config: ProjectConfig
) -> ArchitectureResult:
    """Modules, import edges, cycles, contract violations and package metrics of `files`.

    Raises ConfigError when a root package or a module a contract names does not exist.
    """
    python = [f for f in files if f.path.endswith(_PYTHON_SUFFIXES)]
    modules = discover_modules([f.path for f in python], config.root_packages)
    by_path = {m.path: m for m in modules.values() if m.path}
    known = set(modules)
    edges: list[ImportEdge] = []
    classes: dict[str, tuple[ClassInfo, ...]] = {}
    for f in python:
        module = by_path.get(f.path)
        if module is None:
            continue
        edges.extend(resolve_imports(module, f.imports, known))
        classes[module.name] = f.classes
    edges.sort(key=lambda e: (e.source, e.target, e.line))

    index = ImportIndex.build(modules, edges)
    roots = config.root_packages or tuple(sorted({n.partition(".")[0] for n in modules}))
    return ArchitectureResult(
        root_packages=tuple(roots),
        modules=tuple(modules.values()),
        imports=tuple(edges),
        cycles=find_cycles(internal_digraph(modules, edges)),
        violations=tuple(check_contracts(config.contracts, index)),
        package_metrics=package_metrics(modules, edges, classes),
        contracts_checked=tuple(c.name for c in config.contracts),
    )


# --- findings --------------------------------------------------------------------------------


def violation_findings(result: ArchitectureResult) -> list[Finding]:
    """One CR-ARCH-001 finding per illegal (importer, imported) pair, naming every contract."""
    grouped: dict[tuple[str, str, str], list[ContractViolation]] = {}
    for v in result.violations:
        grouped.setdefault((v.path, v.importer, v.imported), []).append(v)
    findings = []
    for (path, importer, imported), group in grouped.items():
        first = group[0]
        contracts = ", ".join(dict.fromkeys(f"{v.contract!r} ({v.contract_type})" for v in group))
        findings.append(
            Finding(
                rule_id=CONTRACT_RULE,
                severity=Severity.HIGH,
                category=Category.ARCHITECTURE,
                path=path,
                line=first.line,
                message=f"{first.message} [contract {contracts}]",
                fix_hint=_violation_hint(first),
                fingerprint=fingerprint(CONTRACT_RULE, path, f"{importer}->{imported}"),
                extra={"contracts": contracts, "chain": " -> ".join(first.chain)},
            )
        )
    return findings


def _violation_hint(v: ContractViolation) -> str:
    if len(v.chain) == 1:
        return (
            f"Add {v.importer} to a layer of the contract, or to its exhaustive_ignores if it "
            f"belongs to no layer."
        )
    if len(v.chain) == 2:
        return (
            f"Remove the import of {v.imported} from {v.importer} (line {v.line}): move the code "
            f"that needs it to a module allowed to depend on it, or invert the dependency "
            f"(pass it in, or have {v.imported} depend on an interface {v.importer} owns)."
        )
    return (
        f"{v.importer} reaches {v.imported} through {' -> '.join(v.chain)}; cut one link. "
        f"The first, {v.chain[0]} -> {v.chain[1]}, is at line {v.line}."
    )


def cycle_findings(result: ArchitectureResult) -> list[Finding]:
    """One CR-ARCH-002 finding per import cycle, at its first link, suggesting an edge to cut."""
    paths = {m.name: m.path for m in result.modules}
    # A module's package: itself for a package's __init__, else its parent.
    package = {
        m.name: m.name if m.is_package else m.name.rpartition(".")[0] for m in result.modules
    }
    internal = [e for e in result.imports if not e.external and e.source != e.target]
    lines: dict[tuple[str, str], int] = {}
    for e in internal:
        key = (e.source, e.target)
        lines[key] = min(lines.get(key, e.line), e.line)
    importers = Counter(
        target for target, _ in dict.fromkeys((e.target, e.source) for e in internal)
    )
    imports = Counter(src for src, _ in lines)
    findings = []
    for cycle in result.cycles:
        start, nxt = cycle.path[0], cycle.path[1]
        path = paths.get(start, "")
        crosses = len({package.get(m, m) for m in cycle.modules}) > 1
        cut = _edge_to_cut(cycle, importers, imports)
        members = " ".join(cycle.modules)
        findings.append(
            Finding(
                rule_id=CYCLE_RULE,
                severity=Severity.HIGH if crosses else Severity.MEDIUM,
                category=Category.ARCHITECTURE,
                path=path,
                line=lines.get((start, nxt), 0),
                message=(
                    f"import cycle: {len(cycle.modules)} modules import each other"
                    + (" across packages" if crosses else "")
                    + f"; shortest cycle {' -> '.join(cycle.path)}"
                ),
                fix_hint=(
                    f"Cut the import of {cut[1]} in {cut[0]} ({paths.get(cut[0], '')} line "
                    f"{lines.get(cut, 0)}): {cut[0]} is the most depended-upon module on the "
                    f"cycle ({importers[cut[0]]} importers), so it is the lower-level one and "
                    f"should not depend back on {cut[1]}; move what it needs down, or inject it."
                ),
                fingerprint=fingerprint(CYCLE_RULE, path, members),
                extra={"modules": members, "cut": f"{cut[0]}->{cut[1]}"},
            )
        )
    return findings


def _edge_to_cut(cycle: Cycle, importers: Counter[str], imports: Counter[str]) -> tuple[str, str]:
    """The cycle link leaving its lowest-level module: most importers, then fewest imports."""
    links: Iterable[tuple[str, str]] = zip(cycle.path, cycle.path[1:], strict=False)
    return min(links, key=lambda link: (-importers[link[0]], imports[link[0]], link))
