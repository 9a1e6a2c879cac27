"""The architecture of the code under review: modules, imports, cycles, contracts, coupling."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ModuleNode:
    name: str  # dotted module name, e.g. "shop.orders.service"
    path: str  # file path in the tree ("" for namespace packages without a file)
    is_package: bool  # an __init__.py, or a namespace package directory


@dataclass(frozen=True, slots=True)
class ImportEdge:
    source: str  # importing module
    target: str  # imported module (internal name, or the top-level name of an external one)
    line: int
    type_checking: bool = False
    external: bool = False


@dataclass(frozen=True, slots=True)
class Cycle:
    modules: tuple[str, ...]  # the strongly connected component, sorted
    path: tuple[str, ...]  # one shortest cycle, first module repeated at the end


@dataclass(frozen=True, slots=True)
class ContractViolation:
    contract: str  # the contract's name
    contract_type: str  # "layers" | "forbidden" | "independence"
    importer: str  # module that imports what it must not (first link of the chain)
    imported: str  # module it must not reach (last link)
    chain: tuple[str, ...]  # importer -> ... -> imported (length 2 when direct)
    path: str  # file of the first link's importer
    line: int  # line of the first link's import
    message: str


@dataclass(frozen=True, slots=True)
class PackageMetrics:
    package: str
    afferent: int  # Ca: modules outside the package that import modules inside it
    efferent: int  # Ce: modules outside the package that modules inside it import (internal only)
    instability: float  # Ce / (Ca + Ce); 0 when both are 0
    abstractness: float  # abstract classes / classes; 0 when no classes
    distance: float  # |A + I - 1|
    modules: int
    classes: int
    abstract_classes: int


@dataclass(frozen=True, slots=True)
class ArchitectureResult:
    root_packages: tuple[str, ...]
    modules: tuple[ModuleNode, ...]
    imports: tuple[
        ImportEdge, ...
    ]  # internal and external edges, deduplicated per (source, target, line)
    cycles: tuple[Cycle, ...]
    violations: tuple[ContractViolation, ...]
    package_metrics: tuple[PackageMetrics, ...]
    contracts_checked: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class PackageDrift:
    package: str
    instability_before: float | None  # None when the package is new
    instability_after: float | None  # None when the package was removed
    distance_before: float | None
    distance_after: float | None


@dataclass(frozen=True, slots=True)
class ArchitectureDrift:
    new_imports: tuple[tuple[str, str], ...]  # (source, target) internal edges not in the baseline
    removed_imports: tuple[tuple[str, str], ...]
    new_cycles: tuple[Cycle, ...]
    new_violations: tuple[ContractViolation, ...]
    packages: tuple[PackageDrift, ...]
