"""Entry point of the architecture room: per-file analyses in, ArchitectureResult out (no I/O).

Also turns the result into findings: CR-ARCH-001 (contract violation, high) and CR-ARCH-002
(import-time cycle: medium inside one package, high when its modules sit in different packages;
a package's __init__ belongs to the package itself). Cycles closed only by deferred or
type-checking imports are no findings: they stay in ArchitectureResult.other_cycles.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from coderev.architecture.contracts import check_contracts, contract_warnings
from coderev.architecture.coupling import package_metrics
from coderev.architecture.cycles import find_cycles
from coderev.architecture.graph import ImportIndex
from coderev.architecture.modules import discover_modules
from coderev.architecture.resolution import resolve_imports
from coderev.domain.architecture import (
    ArchitectureResult,
    ContractViolation,
    ContractWarning,
    CutEdge,
    Cycle,
    ImportEdge,
    ModuleNode,
)
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
    roots = config.root_packages or tuple(sorted({n.partition(".")[0] for n in modules}))
    edges: list[ImportEdge] = []
    classes: dict[str, tuple[ClassInfo, ...]] = {}
    root_set = frozenset(roots)
    for f in python:
        module = by_path.get(f.path)
        if module is None:
            continue
        edges.extend(resolve_imports(module, f.imports, known, root_set))
        classes[module.name] = f.classes
    edges.sort(key=lambda e: (e.source, e.target, e.line))

    index = ImportIndex.build(modules, edges)
    cycles, other_cycles = find_cycles(modules, edges)
    violations, warnings = _contracts(config, modules, edges, index)
    return ArchitectureResult(
        root_packages=tuple(roots),
        modules=tuple(modules.values()),
        imports=tuple(edges),
        cycles=cycles,
        other_cycles=other_cycles,
        violations=tuple(violations),
        package_metrics=package_metrics(modules, edges, classes),
        contracts_checked=tuple(c.name for c in config.contracts),
        contracts_unsupported=config.unsupported_contracts,
        contract_warnings=tuple(warnings),
    )


def _contracts(
    config: ProjectConfig,
    modules: Mapping[str, ModuleNode],
    edges: Sequence[ImportEdge],
    index: ImportIndex,
) -> tuple[list[ContractViolation], list[ContractWarning]]:
    """Every contract's violations and warnings, in the configuration's order; a contract from
    an import-linter file with exclude_type_checking_imports is checked without those imports."""
    without = set(config.contracts_without_type_checking)
    runtime = (
        ImportIndex.build(modules, [e for e in edges if not e.type_checking]) if without else index
    )
    violations: list[ContractViolation] = []
    warnings: list[ContractWarning] = []
    for contract in config.contracts:
        graph = runtime if contract.name in without else index
        violations.extend(check_contracts([contract], graph))
        warnings.extend(contract_warnings(contract, graph))
    return violations, warnings


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
                fix_hint=_with_guidance(_violation_hint(first), group),
                fingerprint=fingerprint(CONTRACT_RULE, path, f"{importer}->{imported}"),
                extra={"contracts": contracts, "chain": " -> ".join(first.chain)},
            )
        )
    return findings


def _with_guidance(hint: str, group: Sequence[ContractViolation]) -> str:
    """The hint, then each contract's own broken_contract_guidance (import-linter shows it
    after a broken contract's violations)."""
    own = [g for g in dict.fromkeys(v.guidance for v in group) if g]
    return " ".join([hint, *(f"The contract says: {g}" for g in own)])


def _violation_hint(v: ContractViolation) -> str:
    if v.contract_type == "acyclic_siblings":
        return (
            f"Break the cycle {' -> '.join(v.chain)} between sibling packages: remove one of its "
            f"imports (the first, from {v.importer} into {v.imported}, is at {v.path} line "
            f"{v.line}), or move what both need into a package below them."
        )
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
    """One CR-ARCH-002 finding per import-time cycle, at its first link, naming its cut."""
    paths = {m.name: m.path for m in result.modules}
    # A module's package: itself for a package's __init__, else its parent.
    package = {
        m.name: m.name if m.is_package else m.name.rpartition(".")[0] for m in result.modules
    }
    lines: dict[tuple[str, str], int] = {}
    for e in result.imports:
        if not e.external and e.source != e.target:
            key = (e.source, e.target)
            lines[key] = min(lines.get(key, e.line), e.line)
    findings = []
    for cycle in result.cycles:
        start, nxt = cycle.path[0], cycle.path[1]
        path = paths.get(start, "")
        crosses = len({package.get(m, m) for m in cycle.modules}) > 1
        members = " ".join(cycle.modules)
        findings.append(
            Finding(
                rule_id=CYCLE_RULE,
                severity=Severity.HIGH if crosses else Severity.MEDIUM,
                category=Category.ARCHITECTURE,
                path=path,
                line=lines.get((start, nxt), 0),
                message=(
                    f"import cycle: {cycle.size} modules import each other at import time"
                    + (" across packages" if crosses else "")
                    + f"; shortest cycle {' -> '.join(cycle.path)}"
                ),
                fix_hint=cut_hint(cycle),
                fingerprint=fingerprint(CYCLE_RULE, path, members),
                extra={
                    "modules": members,
                    "size": str(cycle.size),
                    "kind": cycle.kind.value,
                    "cut": "; ".join(f"{c.source}->{c.target}" for c in cycle.cut),
                },
            )
        )
    return findings


_HINT_EDGES = 12  # cut edges spelt out in a hint; report.json lists all of them


def cut_hint(cycle: Cycle) -> str:
    """What to change to break `cycle`: every import of its cut, with file and lines."""
    cut = cycle.cut
    if not cut:
        return ""
    shown = "; ".join(_cut_edge_text(c) for c in cut[:_HINT_EDGES])
    more = (
        f"; and {len(cut) - _HINT_EDGES} more (listed in report.json)"
        if len(cut) > _HINT_EDGES
        else ""
    )
    what = "this import" if len(cut) == 1 else f"these {len(cut)} imports"
    if all(c.source.startswith(c.target + ".") for c in cut):
        # A submodule importing from its own package's __init__, which imports it back.
        how = (
            "Import each name from the module that defines it rather than from the package "
            "(its __init__ imports this module, so the package is not ready yet); a name the "
            "package's __init__ defines itself moves to a module of its own that both import."
        )
    else:
        how = (
            "Move what each importer needs into a module below both, import it inside the "
            "function that uses it, or pass it in."
        )
    return (
        f"Removing {what} leaves the {cycle.size} modules without an import-time cycle: "
        f"{shown}{more}. {how}"
    )


def _cut_edge_text(c: CutEdge) -> str:
    where = ", ".join(f"{c.path}:{line}" for line in c.lines) if c.path else "no file"
    return f"{c.source} -> {c.target} ({where})"
