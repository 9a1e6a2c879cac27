"""What every contract check shares: which modules a contract's names stand for, which import
edges its ignore_imports remove, and how one violation is recorded.

Module names follow import-linter's module expressions: `*` is one name component, `**` any
number of them (one or more), in contract fields as in ignore_imports. A name stands for the
module and its descendants unless the contract says `as_packages = false`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from coderev.architecture.graph import ImportIndex
from coderev.domain.architecture import ContractViolation
from coderev.domain.config import Contract
from coderev.domain.errors import ConfigError


def pattern(expression: str) -> re.Pattern[str]:
    """`*` is one name component, `**` one or more (import-linter's wildcards)."""
    pieces = {"*": r"[^.]+", "**": r"[^.]+(?:\.[^.]+)*"}
    return re.compile(
        r"\.".join(pieces.get(p, re.escape(p)) for p in expression.strip().split("."))
    )


def ignored_pairs(
    ignore_imports: Iterable[tuple[str, str]], index: ImportIndex
) -> set[tuple[str, str]]:
    """The (importer, imported) edges of the graph that the ignore_imports lines match."""
    out: set[tuple[str, str]] = set()
    for importer, imported in ignore_imports:
        if "*" not in importer and "*" not in imported:
            if imported in index.successors.get(importer, ()):
                out.add((importer, imported))
            continue
        left, right = pattern(importer), pattern(imported)
        out.update(
            (s, t) for s, t in index.edge_pairs() if left.fullmatch(s) and right.fullmatch(t)
        )
    return out


def unmatched_ignores(
    ignore_imports: Iterable[tuple[str, str]], index: ImportIndex
) -> list[str]:
    """The ignore_imports lines ("importer -> imported") that match no import of the graph."""
    return [
        f"{importer} -> {imported}"
        for importer, imported in ignore_imports
        if not ignored_pairs([(importer, imported)], index)
    ]


def matching(index: ImportIndex, expression: str, contract: str) -> list[str]:
    """The internal modules a name or wildcard expression matches, themselves only (sorted);
    ConfigError when none does, as import-linter fails on it."""
    if "*" in expression:
        regex = pattern(expression)
        found = sorted(m for m in index.modules if regex.fullmatch(m))
    else:
        found = [expression] if expression in index.modules else []
    if not found:
        raise ConfigError(
            f"contract {contract!r} names module {expression!r}, which does not exist"
        )
    return found


def members(
    index: ImportIndex,
    name: str,
    contract: str,
    *,
    external_ok: bool = False,
    as_packages: bool = True,
) -> list[str]:
    """The modules `name` stands for: each module it matches and, as a package, their
    descendants. An unknown top-level name is an external package when `external_ok`."""
    if "*" not in name:
        found = index.members(name) if as_packages else [n for n in (name,) if n in index.modules]
        if found:
            return found
        top = name.partition(".")[0]
        internal_tops = {m.partition(".")[0] for m in index.modules}
        if external_ok and top not in internal_tops:
            return [top]
    out: list[str] = []
    for module in matching(index, name, contract):
        out.extend(index.members(module) if as_packages else [module])
    return sorted(set(out))


def violation(
    contract: Contract, kind: str, chain: tuple[str, ...], index: ImportIndex, why: str
) -> ContractViolation:
    importer, imported = chain[0], chain[-1]
    node = index.modules.get(importer)
    how = "imports" if len(chain) == 2 else f"imports (via {' -> '.join(chain[1:-1])})"
    return ContractViolation(
        contract=contract.name,
        contract_type=kind,
        importer=importer,
        imported=imported,
        chain=chain,
        path=node.path if node else "",
        line=index.first_line.get((chain[0], chain[1]), 0),
        message=f"{importer} {how} {imported}: {why}",
    )
