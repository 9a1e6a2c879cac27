"""Architecture drift: what changed between a baseline ArchitectureResult and the current one.

- new / removed internal import edges, as (source, target) pairs, sorted;
- new cycles: import-time components not contained in a baseline component (a component that
  shrank, or a baseline from before coderev told deferred imports apart, brings no new cycle;
  one that gained a module does);
- new contract violations: identified by (contract, importer, imported), so a violation whose
  chain or line moved is not new;
- per package: instability and distance before and after (None where the package is absent),
  for every package whose figures changed, appeared or disappeared.
"""

from __future__ import annotations

from coderev.domain.architecture import ArchitectureDrift, ArchitectureResult, PackageDrift


def _internal_pairs(result: ArchitectureResult) -> set[tuple[str, str]]:
    return {(e.source, e.target) for e in result.imports if not e.external}


def architecture_drift(
    baseline: ArchitectureResult, current: ArchitectureResult
) -> ArchitectureDrift:
    before, after = _internal_pairs(baseline), _internal_pairs(current)
    old_cycles = [frozenset(c.modules) for c in baseline.cycles]
    old_violations = {(v.contract, v.importer, v.imported) for v in baseline.violations}
    old_packages = {p.package: p for p in baseline.package_metrics}
    new_packages = {p.package: p for p in current.package_metrics}
    packages = []
    for name in sorted(old_packages.keys() | new_packages.keys()):
        old, new = old_packages.get(name), new_packages.get(name)
        drift = PackageDrift(
            package=name,
            instability_before=old.instability if old else None,
            instability_after=new.instability if new else None,
            distance_before=old.distance if old else None,
            distance_after=new.distance if new else None,
        )
        changed = (drift.instability_before, drift.distance_before) != (
            drift.instability_after,
            drift.distance_after,
        )
        if changed:
            packages.append(drift)
    return ArchitectureDrift(
        new_imports=tuple(sorted(after - before)),
        removed_imports=tuple(sorted(before - after)),
        new_cycles=tuple(
            c for c in current.cycles if not any(old >= set(c.modules) for old in old_cycles)
        ),
        new_violations=tuple(
            v
            for v in current.violations
            if (v.contract, v.importer, v.imported) not in old_violations
        ),
        packages=tuple(packages),
    )
