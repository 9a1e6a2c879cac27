"""What an analysed repository asks of coderev: thresholds, contracts, root packages, roles.

Read from `[tool.coderev]` in its pyproject.toml or from `.coderev.toml`, and from an
existing import-linter configuration (see coderev.architecture.config).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from coderev.domain.architecture import UnsupportedContract
from coderev.domain.roles import FileRole, RoleGlobs


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Above these, a function/file gets a maintainability finding."""

    max_complexity: int = 10  # cyclomatic complexity per function (radon rank B ends at 10)
    max_function_length: int = 60  # lines per function
    max_parameters: int = 6
    max_nesting: int = 4  # block nesting depth inside a function
    min_maintainability: float = 20.0  # radon's MI: below 20 is rank B, below 10 rank C


@dataclass(frozen=True, slots=True)
class LayersContract:
    name: str
    layers: tuple[
        tuple[str, ...], ...
    ]  # top to bottom; a layer may hold several independent modules ("a | b")
    containers: tuple[str, ...] = ()
    independent_siblings: bool = (
        True  # "a | b": siblings may not import each other; "a : b" allows it
    )
    ignore_imports: tuple[tuple[str, str], ...] = ()
    exhaustive: bool = False
    # Per layer, whether its siblings are independent ("a | b") or not ("a : b"); empty: every
    # layer uses independent_siblings.
    layer_independence: tuple[bool, ...] = ()
    exhaustive_ignores: tuple[str, ...] = ()  # container children an exhaustive contract skips
    guidance: str = ""  # broken_contract_guidance: the project's own advice
    unmatched_alerting: str = "error"  # unmatched_ignore_imports_alerting: none, warn, error


@dataclass(frozen=True, slots=True)
class ForbiddenContract:
    name: str
    source_modules: tuple[str, ...]
    forbidden_modules: tuple[str, ...]  # internal modules or external top-level packages
    ignore_imports: tuple[tuple[str, str], ...] = ()
    allow_indirect_imports: bool = False
    as_packages: bool = True  # False: each listed module stands for itself, not its descendants
    guidance: str = ""  # broken_contract_guidance: the project's own advice
    unmatched_alerting: str = "error"  # unmatched_ignore_imports_alerting: none, warn, error


@dataclass(frozen=True, slots=True)
class IndependenceContract:
    name: str
    modules: tuple[str, ...]
    ignore_imports: tuple[tuple[str, str], ...] = ()
    guidance: str = ""  # broken_contract_guidance: the project's own advice
    unmatched_alerting: str = "error"  # unmatched_ignore_imports_alerting: none, warn, error


@dataclass(frozen=True, slots=True)
class ProtectedContract:
    """`protected_modules` may be imported directly only by `allowed_importers` (and by each
    other when as_packages)."""

    name: str
    protected_modules: tuple[str, ...]
    allowed_importers: tuple[str, ...]
    ignore_imports: tuple[tuple[str, str], ...] = ()
    as_packages: bool = True
    guidance: str = ""  # broken_contract_guidance: the project's own advice
    unmatched_alerting: str = "error"  # unmatched_ignore_imports_alerting: none, warn, error


@dataclass(frozen=True, slots=True)
class PrivateModulesContract:
    """A private module (`_name`, not a dunder) is imported only from inside its parent package;
    empty `packages`: every root package's private modules."""

    name: str
    packages: tuple[str, ...] = ()
    ignore_imports: tuple[tuple[str, str], ...] = ()
    guidance: str = ""  # broken_contract_guidance: the project's own advice
    unmatched_alerting: str = "error"  # unmatched_ignore_imports_alerting: none, warn, error


@dataclass(frozen=True, slots=True)
class AcyclicSiblingsContract:
    """No import cycle between the children of each ancestor (each child with its descendants
    taken as one), recursively `depth` levels down, except below `skip_descendants`."""

    name: str
    ancestors: tuple[str, ...]
    depth: int = 10
    skip_descendants: tuple[str, ...] = ()
    ignore_imports: tuple[tuple[str, str], ...] = ()
    guidance: str = ""  # broken_contract_guidance: the project's own advice
    unmatched_alerting: str = "error"  # unmatched_ignore_imports_alerting: none, warn, error


Contract = (
    LayersContract
    | ForbiddenContract
    | IndependenceContract
    | ProtectedContract
    | PrivateModulesContract
    | AcyclicSiblingsContract
)


@dataclass(frozen=True, slots=True)
class GraphRule:
    """An architecture rule as a Cypher query over the stored code graph (jQAssistant-style):
    each row it returns is a violation, naming the `importer` and `imported` modules (and
    optionally a `message`); `$graph` is bound to the analysis's graph id."""

    name: str
    cypher: str
    guidance: str = ""  # the project's own advice, shown with each violation


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    root_packages: tuple[str, ...] = ()  # empty: every top-level package/module found
    contracts: tuple[Contract, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    exclude: tuple[str, ...] = ()  # glob patterns of paths not to review
    ruff_select: tuple[str, ...] = ()  # empty: coderev's default rule selection
    sources: tuple[
        str, ...
    ] = ()  # where this config came from, e.g. ("pyproject.toml [tool.coderev]",)
    # Contracts found but not checked (a custom contract class, a type coderev does not know).
    unsupported_contracts: tuple[UnsupportedContract, ...] = ()
    # Contracts whose import-linter configuration sets exclude_type_checking_imports: they are
    # checked without the imports made only under `if TYPE_CHECKING:`.
    contracts_without_type_checking: tuple[str, ...] = ()
    # [tool.coderev.roles]: globs per role, in the order written (the first role matching a
    # path wins); they override every role coderev would infer (see coderev.analysis.roles).
    roles: tuple[RoleGlobs, ...] = ()
    # The roles whose findings the quality gate counts ([tool.coderev] gate_roles).
    gate_roles: tuple[FileRole, ...] = (FileRole.SOURCE,)
    # [[tool.coderev.graph_rules]]: Cypher rules, run where the graph store speaks Cypher
    graph_rules: tuple[GraphRule, ...] = ()
