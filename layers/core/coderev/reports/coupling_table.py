"""The coupling table of report.html: packages grouped so the ones that matter come first.

A large project's package list is mostly noise for an architecture review: Django has 631
packages, 436 of them test packages and 129 with no coupling at all. The table shows the
coupled packages of the product first, most coupled (Ca + Ce) first, and puts test packages
and packages with no coupling in their own groups, collapsed by default.

A package is a test package when every file inside it (its own modules and those of its
subpackages, the set its metrics are computed over) has the role `test`; file roles come from
the review (SourceFileInfo.role), nothing here guesses from names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from coderev.domain.architecture import ArchitectureResult, PackageMetrics
from coderev.domain.roles import FileRole


@dataclass(frozen=True, slots=True)
class PackageGroup:
    key: str  # "coupled" | "test" | "uncoupled"
    title: str
    packages: tuple[PackageMetrics, ...]
    collapsed: bool


def packages_of_tests(arch: ArchitectureResult, roles: Mapping[str, FileRole]) -> set[str]:
    """Packages whose files all have the role `test` (and that have at least one file)."""
    packages = {m.name for m in arch.modules if m.is_package}
    has_test: set[str] = set()
    has_other: set[str] = set()
    for module in arch.modules:
        if not module.path:
            continue  # a namespace package: no file of its own
        is_test = roles.get(module.path, FileRole.SOURCE) is FileRole.TEST
        name = module.name
        while name:  # the module and every package above it hold this file
            if name in packages:
                (has_test if is_test else has_other).add(name)
            name = name.rpartition(".")[0]
    return has_test - has_other


def package_groups(
    arch: ArchitectureResult, roles: Mapping[str, FileRole]
) -> tuple[PackageGroup, ...]:
    """Coupled packages, test packages, packages with no coupling; empty groups left out."""
    tests = packages_of_tests(arch, roles)
    ordered = sorted(arch.package_metrics, key=lambda p: (-(p.afferent + p.efferent), p.package))
    test_rows = tuple(p for p in ordered if p.package in tests)
    rest = [p for p in ordered if p.package not in tests]
    coupled = tuple(p for p in rest if p.afferent or p.efferent)
    uncoupled = tuple(p for p in rest if not (p.afferent or p.efferent))
    groups = (
        PackageGroup("coupled", "Packages", coupled, collapsed=False),
        PackageGroup("test", "Test packages", test_rows, collapsed=True),
        PackageGroup("uncoupled", "Packages with no coupling (Ca = Ce = 0)", uncoupled, True),
    )
    return tuple(g for g in groups if g.packages)
