"""Contracts on direct imports only, with import-linter 2.x's semantics (checked against it in
the tests): protected and private_modules. Indirect chains never break these.

- protected: a protected module (with its descendants, as_packages) may be imported directly
  only by the allowed importers (with theirs) and, as a package, by its own descendants. Each
  illegal (importer, protected module) import is one violation. An allowed importer wildcard
  that matches nothing allows nothing; a module named that does not exist is a ConfigError.
- private_modules: a private module is one whose last name component starts with `_` but is no
  dunder (`pkg.core._cache`); a module inside a private one is private with it. It may be
  imported only by its innermost private module's parent package or anything below that
  parent. Top-level modules are never private. Without `packages_with_private_modules`, every
  module is checked; with it, the modules of those packages (matched names and descendants).
"""

from __future__ import annotations

from coderev.architecture.contract_modules import matching, members, pattern, violation
from coderev.architecture.graph import ImportIndex
from coderev.domain.architecture import ContractViolation
from coderev.domain.config import PrivateModulesContract, ProtectedContract
from coderev.domain.errors import ConfigError


def check_protected(contract: ProtectedContract, index: ImportIndex) -> list[ContractViolation]:
    allowed = {
        m for name in contract.allowed_importers for m in _quiet_members(index, name, contract)
    }
    predecessors = index.predecessors()
    out: list[ContractViolation] = []
    seen: set[tuple[str, str]] = set()
    for expression in contract.protected_modules:
        for top in matching(index, expression, contract.name):
            protected = members(index, top, contract.name, as_packages=contract.as_packages)
            inside = set(protected)
            links = sorted(
                (module, importer)
                for module in protected
                for importer in predecessors.get(module, ())
                if importer not in allowed and importer not in inside
            )
            for module, importer in links:
                if (importer, module) in seen:
                    continue
                seen.add((importer, module))
                allowed_names = ", ".join(contract.allowed_importers)
                why = f"{top} is protected: only {allowed_names} may import it"
                out.append(violation(contract, "protected", (importer, module), index, why))
    return out


def _quiet_members(index: ImportIndex, name: str, contract: ProtectedContract) -> list[str]:
    """The modules an allowed importer stands for: a wildcard that matches nothing allows
    nothing, a module that does not exist is a ConfigError (as in import-linter)."""
    if "*" not in name:
        return members(index, name, contract.name, as_packages=contract.as_packages)
    regex = pattern(name)
    found = [m for m in index.modules if regex.fullmatch(m)]
    return [d for m in found for d in (index.members(m) if contract.as_packages else [m])]


def _private_parent(module: str) -> str | None:
    """The parent of the module's innermost private component, None when nothing is private."""
    parts = module.split(".")
    for i in range(len(parts) - 1, 0, -1):
        part = parts[i]
        if part.startswith("_") and not (part.startswith("__") and part.endswith("__")):
            return ".".join(parts[:i])
    return None


def check_private_modules(
    contract: PrivateModulesContract, index: ImportIndex
) -> list[ContractViolation]:
    if contract.packages:
        checked: set[str] = set()
        for expression in contract.packages:
            for module in matching(index, expression, contract.name):
                if _private_parent(module) is not None:
                    raise ConfigError(
                        f"contract {contract.name!r}: {expression!r} matches {module!r}, which "
                        "is private or inside a private module; list an ancestor instead"
                    )
                checked.update(index.members(module))
    else:
        checked = set(index.modules)
    predecessors = index.predecessors()
    out: list[ContractViolation] = []
    for module in sorted(checked):
        parent = _private_parent(module)
        if parent is None:
            continue
        inside = parent + "."
        for importer in sorted(predecessors.get(module, ())):
            if importer != parent and not importer.startswith(inside):
                why = f"{module} is private to {parent}"
                out.append(violation(contract, "private_modules", (importer, module), index, why))
    return out
