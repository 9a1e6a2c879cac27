"""What an analysed repository asks of coderev: thresholds, contracts, root packages.

Read from `[tool.coderev]` in its pyproject.toml or from `.coderev.toml`, and from an
existing import-linter configuration (see coderev.architecture.config).
"""

from __future__ import annotations

from dataclasses import dataclass, field


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


@dataclass(frozen=True, slots=True)
class ForbiddenContract:
    name: str
    source_modules: tuple[str, ...]
    forbidden_modules: tuple[str, ...]  # internal modules or external top-level packages
    ignore_imports: tuple[tuple[str, str], ...] = ()
    allow_indirect_imports: bool = False


@dataclass(frozen=True, slots=True)
class IndependenceContract:
    name: str
    modules: tuple[str, ...]
    ignore_imports: tuple[tuple[str, str], ...] = ()


Contract = LayersContract | ForbiddenContract | IndependenceContract


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
    # Contracts found but not checked (e.g. import-linter's acyclic_siblings, protected, custom
    # classes), as "<file>: <name> (type <type>)".
    unsupported_contracts: tuple[str, ...] = ()
