"""The architecture of the code under review: modules, imports, cycles, contracts, coupling."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from coderev.domain.pickling import pickled_by_fields


class ImportKind(StrEnum):
    """When an import runs: strongest first.

    import-time: at module level or in a class body, so importing the module runs it.
    deferred: inside a function or method body, so it runs when the function is called.
    type-checking: under `if TYPE_CHECKING:` (any spelling), so it never runs.
    """

    IMPORT_TIME = "import-time"
    DEFERRED = "deferred"
    TYPE_CHECKING = "type-checking"

    @property
    def strength(self) -> int:
        """2 for import-time, 1 for deferred, 0 for type-checking."""
        return _STRENGTH[self]


_STRENGTH = {ImportKind.IMPORT_TIME: 2, ImportKind.DEFERRED: 1, ImportKind.TYPE_CHECKING: 0}


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ModuleNode:
    name: str  # dotted module name, e.g. "shop.orders.service"
    path: str  # file path in the tree ("" for namespace packages without a file)
    is_package: bool  # an __init__.py, or a namespace package directory


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ImportEdge:
    source: str  # importing module
    target: str  # imported module (internal name, or the top-level name of an external one)
    line: int
    kind: ImportKind = ImportKind.IMPORT_TIME
    external: bool = False

    @property
    def type_checking(self) -> bool:
        return self.kind is ImportKind.TYPE_CHECKING


@dataclass(frozen=True, slots=True)
class CutEdge:
    """One import (importer -> imported) to remove to break a cycle, with its import lines."""

    source: str
    target: str
    path: str  # the importer's file
    lines: tuple[int, ...]  # every import-time statement making this edge (its weight)


@dataclass(frozen=True, slots=True)
class Cycle:
    modules: tuple[str, ...]  # the strongly connected component, sorted
    path: tuple[str, ...]  # one shortest cycle, first module repeated at the end
    # The weakest kind of import the component needs to close: import-time when import-time
    # imports alone close it; deferred when it needs a deferred one; type-checking else.
    kind: ImportKind = ImportKind.IMPORT_TIME
    # Import-time cycles: imports whose removal leaves the component acyclic (verified).
    cut: tuple[CutEdge, ...] = ()

    @property
    def size(self) -> int:
        return len(self.modules)


@dataclass(frozen=True, slots=True)
class ContractViolation:
    contract: str  # the contract's name
    contract_type: str  # an import-linter type: "layers", "forbidden", "protected", ...
    importer: str  # module that imports what it must not (first link of the chain)
    imported: str  # module it must not reach (last link)
    chain: tuple[str, ...]  # importer -> ... -> imported (length 2 when direct)
    path: str  # file of the first link's importer
    line: int  # line of the first link's import
    message: str
    guidance: str = ""  # the contract's broken_contract_guidance, if it has one


@dataclass(frozen=True, slots=True)
class UnsupportedContract:
    """A contract found in the configuration that coderev does not check (never dropped
    silently: every report lists it, and the `architecture` gate fails on it unless allowed)."""

    name: str
    type: str  # as configured, e.g. "my_project.contracts.NoPrintContract" or a custom type name
    source: str  # where it is declared, e.g. ".importlinter [importlinter:contract:x]"
    reason: str  # why it is not checked


@dataclass(frozen=True, slots=True)
class ContractWarning:
    """A contract's ignore_imports line that matches no import, reported as its
    unmatched_ignore_imports_alerting says: "warn" is listed, "error" (import-linter's
    default) also fails the `architecture` gate, as it fails lint-imports."""

    contract: str
    level: str  # "warn" | "error"
    message: str


@pickled_by_fields
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
    cycles: tuple[Cycle, ...]  # import-time cycles (findings), largest first
    violations: tuple[ContractViolation, ...]
    package_metrics: tuple[PackageMetrics, ...]
    contracts_checked: tuple[str, ...] = field(default=())
    # Cycles closed only through deferred or type-checking imports: information, not findings.
    other_cycles: tuple[Cycle, ...] = field(default=())
    contracts_unsupported: tuple[UnsupportedContract, ...] = field(default=())
    contract_warnings: tuple[ContractWarning, ...] = field(default=())


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
