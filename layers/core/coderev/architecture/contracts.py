"""Contract checks with import-linter 2.x's semantics: layers, forbidden and independence here;
protected and private_modules in contracts_direct, acyclic_siblings in contracts_acyclic.

A contract names modules (or wildcard expressions, see contract_modules); each stands for itself
and its descendants. Indirect imports count: a chain `x -> m -> y` violates a contract
forbidding `x` to reach `y` as a direct import would. Which chains are reported follows
import-linter 2.x and grimp 3 (see contract_chains; checked against import-linter in the tests):
- layers: grimp's layers search, never through a module of another layer, so `c -> b -> a`
  across three layers is `c -> b` and `b -> a`, not also `c -> a`;
- independence: a depends on b when a chain exists not passing through another listed module;
  its chains are then find_shortest_chains', like forbidden's;
- forbidden (grimp's find_shortest_chains per source/forbidden module): the shortest chain,
  then the next shortest once its imports are removed, and so on; never through the pair's
  own modules, but possibly through another source module's.

- layers: top to bottom; a lower layer must not reach a higher one. `containers` repeat the
  layers inside each container. `exhaustive` (with containers): every child of a container must
  be a layer or in `exhaustive_ignores`; each one that is not is a violation with a one-module
  chain (the module, no import) and line 0. "a | b" siblings are independent of each other,
  "a : b" siblings may import each other (import-linter 2.x). A layer "(name)" is optional.
- forbidden: source_modules must not reach forbidden_modules, which may be external top-level
  packages (an external `pkg.sub` stands for `pkg`: external imports are kept at top level).
  `allow_indirect_imports` checks direct imports only.
- independence: no listed module reaches another.
- ignore_imports: "importer -> imported" with import-linter's wildcards: `*` is one name
  component, `**` one or more. The edges are removed first.

A contract naming an internal module that does not exist raises ConfigError, as import-linter
fails on it; so does a missing container. An ignore_imports line matching no import is a
ContractWarning at the contract's unmatched_ignore_imports_alerting level (default "error").
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from coderev.architecture.contract_chains import disjoint_chains, illegal_chains, layer_chains
from coderev.architecture.contract_modules import (
    ignored_pairs,
    matching,
    members,
    unmatched_ignores,
    violation,
)
from coderev.architecture.contracts_acyclic import check_acyclic_siblings
from coderev.architecture.contracts_direct import check_private_modules, check_protected
from coderev.architecture.graph import ImportIndex
from coderev.domain.architecture import ContractViolation, ContractWarning
from coderev.domain.config import (
    AcyclicSiblingsContract,
    Contract,
    ForbiddenContract,
    IndependenceContract,
    LayersContract,
    PrivateModulesContract,
    ProtectedContract,
)
from coderev.domain.errors import ConfigError

__all__ = [
    "check_contract",
    "check_contracts",
    "contract_warnings",
    "disjoint_chains",
    "ignored_pairs",
    "illegal_chains",
    "layer_chains",
]


def check_contracts(contracts: Sequence[Contract], index: ImportIndex) -> list[ContractViolation]:
    """Every violation of every contract, contract by contract, in a deterministic order."""
    violations: list[ContractViolation] = []
    for contract in contracts:
        violations.extend(check_contract(contract, index))
    return violations


def check_contract(contract: Contract, index: ImportIndex) -> list[ContractViolation]:
    found = _check(contract, index.without(ignored_pairs(contract.ignore_imports, index)))
    if contract.guidance:
        return [replace(v, guidance=contract.guidance) for v in found]
    return found


def contract_warnings(contract: Contract, index: ImportIndex) -> list[ContractWarning]:
    """One warning per ignore_imports line matching no import, unless the contract's
    unmatched_ignore_imports_alerting is "none"."""
    if contract.unmatched_alerting == "none":
        return []
    return [
        ContractWarning(
            contract.name,
            contract.unmatched_alerting,
            f"ignore_imports line {line!r} matches no import "
            f"(unmatched_ignore_imports_alerting = {contract.unmatched_alerting})",
        )
        for line in unmatched_ignores(contract.ignore_imports, index)
    ]


def _check(contract: Contract, graph: ImportIndex) -> list[ContractViolation]:
    if isinstance(contract, LayersContract):
        return _check_layers(contract, graph)
    if isinstance(contract, ForbiddenContract):
        return _check_forbidden(contract, graph)
    if isinstance(contract, ProtectedContract):
        return check_protected(contract, graph)
    if isinstance(contract, PrivateModulesContract):
        return check_private_modules(contract, graph)
    if isinstance(contract, AcyclicSiblingsContract):
        return check_acyclic_siblings(contract, graph)
    return _check_independence(contract, graph)


# --- the three contract types ----------------------------------------------------------------


def _check_forbidden(contract: ForbiddenContract, index: ImportIndex) -> list[ContractViolation]:
    """Each (source module, forbidden module) pair is searched on its own, as import-linter does,
    so a chain may run through another source module: `a -> b -> requests` with sources a and b
    is reported for a as well as `b -> requests` for b. Within a pair, chains are found as grimp
    finds them (disjoint_chains): not one per pair of their members."""
    packages = contract.as_packages
    sources = {
        m: members(index, m, contract.name, as_packages=packages)
        for m in _concrete(index, contract.source_modules, contract.name)
    }
    targets = {
        m: members(index, m, contract.name, external_ok=True, as_packages=packages)
        for m in _concrete(index, contract.forbidden_modules, contract.name)
    }
    out: list[ContractViolation] = []
    seen: set[tuple[str, ...]] = set()
    for source_name in sorted(sources):
        for target_name in sorted(targets):
            if _overlap(source_name, target_name):
                continue
            why = f"{target_name} is forbidden to {source_name}"
            if contract.allow_indirect_imports:
                found = illegal_chains(
                    index, sources[source_name], targets[target_name], direct_only=True
                )
            else:
                found = disjoint_chains(index, sources[source_name], targets[target_name])
            for chain in found:
                if chain not in seen:
                    seen.add(chain)
                    out.append(violation(contract, "forbidden", chain, index, why))
    return out


def _concrete(index: ImportIndex, names: Iterable[str], contract: str) -> list[str]:
    """The names with each wildcard expression replaced by the modules it matches: as in
    import-linter, each matched module is a source (or target) of its own."""
    out: list[str] = []
    for name in names:
        for module in matching(index, name, contract) if "*" in name else [name]:
            if module not in out:
                out.append(module)
    return out


def _overlap(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _check_independence(
    contract: IndependenceContract, index: ImportIndex
) -> list[ContractViolation]:
    names = _concrete(index, contract.modules, contract.name)
    groups = {n: members(index, n, contract.name) for n in names}
    everything = [m for ms in groups.values() for m in ms]
    out = []
    for a in names:
        for b in names:
            if a == b:
                continue
            # grimp's layers search decides whether a depends on b (not through another listed
            # module); the chains reported are find_shortest_chains', which may pass through one
            if not illegal_chains(index, groups[a], groups[b], everything):
                continue
            for c in disjoint_chains(index, groups[a], groups[b]):
                out.append(
                    violation(
                        contract, "independence", c, index, f"{a} and {b} must be independent"
                    )
                )
    return out


def _check_layers(contract: LayersContract, index: ImportIndex) -> list[ContractViolation]:
    out: list[ContractViolation] = []
    containers = [c for e in contract.containers for c in _containers(index, e, contract.name)]
    for container in containers or [""]:
        layers = _resolve_layers(contract, container, index)
        if contract.exhaustive and container:
            out.extend(_unlisted(contract, container, layers, index))
        everything = [m for layer in layers for _, ms in layer for m in ms]
        for hi, upper in enumerate(layers):
            for lower in layers[hi + 1 :]:
                for lo_name, lo_members in lower:
                    for up_name, up_members in upper:
                        why = f"layer {lo_name} is below {up_name}"
                        out.extend(
                            violation(contract, "layers", c, index, why)
                            for c in layer_chains(index, lo_members, up_members, everything)
                        )
        for i, layer in enumerate(layers):
            if not _independent(contract, i):
                continue
            for a_name, a_members in layer:
                for b_name, b_members in layer:
                    if a_name != b_name:
                        why = f"siblings {a_name} and {b_name} must be independent"
                        out.extend(
                            violation(contract, "layers", c, index, why)
                            for c in layer_chains(index, a_members, b_members, everything)
                        )
    return out


def _containers(index: ImportIndex, expression: str, contract: str) -> list[str]:
    """The containers an expression names (a wildcard may name several, as in import-linter)."""
    if "*" in expression:
        return matching(index, expression, contract)
    if not index.members(expression):
        raise ConfigError(
            f"contract {contract!r} names container {expression!r}, which does not exist"
        )
    return [expression]


def _unlisted(
    contract: LayersContract,
    container: str,
    layers: list[list[tuple[str, list[str]]]],
    index: ImportIndex,
) -> list[ContractViolation]:
    """Children of the container in no layer (an exhaustive contract lists them all)."""
    listed = {name for layer in layers for name, _ in layer}
    ignored = {f"{container}.{n}" for n in contract.exhaustive_ignores}
    depth = container.count(".") + 1
    children = [m for m in index.members(container) if m.count(".") == depth]
    return [
        ContractViolation(
            contract=contract.name,
            contract_type="layers",
            importer=child,
            imported=container,
            chain=(child,),
            path=index.modules[child].path,
            line=0,
            message=f"{child} is in container {container} but in no layer of this exhaustive "
            f"contract",
        )
        for child in children
        if child not in listed and child not in ignored
    ]


def _independent(contract: LayersContract, layer: int) -> bool:
    flags = contract.layer_independence
    return flags[layer] if layer < len(flags) else contract.independent_siblings


def _resolve_layers(
    contract: LayersContract, container: str, index: ImportIndex
) -> list[list[tuple[str, list[str]]]]:
    """Per layer, its (module name, members) siblings; missing optional layers are empty."""
    resolved: list[list[tuple[str, list[str]]]] = []
    for layer in contract.layers:
        siblings = []
        for raw in layer:
            optional = raw.startswith("(") and raw.endswith(")")
            name = raw[1:-1].strip() if optional else raw
            full = f"{container}.{name}" if container else name
            found = index.members(full)
            if not found and not optional:
                raise ConfigError(
                    f"contract {contract.name!r} names layer {full!r}, which does not exist "
                    f"(write it as '({name})' to make it optional)"
                )
            siblings.append((full, found))
        resolved.append(siblings)
    return resolved
