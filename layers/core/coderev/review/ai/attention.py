"""What deserves a model's (and so a human's) attention first: files and functions, ranked.

A model's budget is spent in this order, so what it sees is what matters most:

1. Product code before everything else: a source file before any test, example or script.
   Docs, build scripts and generated code are never sent.
2. Within each, a file's weight: the severity of its findings (new ones, against a baseline,
   count double: a review is about the change), its complexity (the worst function's, past
   its threshold), and its architecture role: a module many others import (fan-in) is read
   by everyone it breaks; one that imports many (fan-out) is where layers get crossed; a
   module in an import cycle or at a broken contract is where the structure is already bent.
3. Ties by path, so the order (and the chunks) are reproducible.

`hot_functions` orders one file's functions the same way, for files too long to send whole.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coderev.domain.architecture import ArchitectureResult
from coderev.domain.findings import Finding, FindingStatus, Severity
from coderev.domain.metrics import FunctionMetrics, SourceFileInfo
from coderev.domain.roles import FileRole

__all__ = ["NEVER_SENT", "Target", "hot_functions", "rank_targets"]

NEVER_SENT = frozenset({FileRole.DOCS, FileRole.BUILD, FileRole.GENERATED})
SEVERITY_WEIGHT = {
    Severity.CRITICAL: 16.0,
    Severity.HIGH: 8.0,
    Severity.MEDIUM: 3.0,
    Severity.LOW: 1.0,
    Severity.INFO: 0.25,
}
COMPLEXITY_THRESHOLD = 10  # the metric rules' default: complexity past it adds weight
FAN_WEIGHT = 0.5  # per internal module importing (or imported by) this one
CYCLE_WEIGHT = 6.0
VIOLATION_WEIGHT = 8.0


@dataclass(frozen=True, slots=True)
class Target:
    """A file worth reviewing, its weight, and why (for the report and the prompt)."""

    path: str
    role: FileRole
    score: float
    reasons: tuple[str, ...]
    fan_in: int = 0
    fan_out: int = 0
    in_cycle: bool = False
    violations: int = 0


def rank_targets(
    files: Sequence[SourceFileInfo],
    findings: Sequence[Finding],
    architecture: ArchitectureResult,
    *,
    baseline: bool = False,
) -> list[Target]:
    """Every analysed code file (one with metrics) that may be sent, most deserving first."""
    by_path: dict[str, list[Finding]] = {}
    for f in findings:
        by_path.setdefault(f.path, []).append(f)
    module_of = {m.path: m.name for m in architecture.modules if m.path}
    fan_in, fan_out = _fans(architecture)
    cycles: dict[str, str] = {}
    for c in architecture.cycles:
        for name in c.modules:
            cycles.setdefault(name, " -> ".join(c.path))
    broken: dict[str, list[str]] = {}
    for v in architecture.violations:
        broken.setdefault(v.path, []).append(
            f"line {v.line}: {' -> '.join(v.chain)} breaks contract {v.contract!r}"
        )
    targets = []
    for info in files:
        if info.metrics is None or info.role in NEVER_SENT:
            continue
        module = module_of.get(info.path, "")
        target = _target(
            info, module, by_path.get(info.path, []), baseline, fan_in.get(module, 0),
            fan_out.get(module, 0), cycles.get(module, ""), broken.get(info.path, []),
        )  # fmt: skip
        targets.append(target)
    return sorted(targets, key=lambda t: (t.role is not FileRole.SOURCE, -t.score, t.path))


def _target(
    info: SourceFileInfo, module: str, findings: list[Finding], baseline: bool, fan_in: int,
    fan_out: int, cycle: str, violations: list[str],
) -> Target:  # fmt: skip
    reasons: list[str] = [f"module {module}"] if module else []
    weight = 0.0
    for f in findings:
        doubled = baseline and f.status is FindingStatus.NEW
        weight += SEVERITY_WEIGHT[f.severity] * (2 if doubled else 1)
    if findings:
        worst = max(findings, key=lambda f: f.severity.rank).severity
        new = sum(1 for f in findings if f.status is FindingStatus.NEW) if baseline else 0
        reasons.append(
            f"{len(findings)} finding{'s' if len(findings) != 1 else ''} (worst {worst.value})"
            + (f", {new} new" if new else "")
        )
    worst_fn = max((fn.complexity for fn in _functions(info)), default=0)
    if worst_fn > COMPLEXITY_THRESHOLD:
        weight += (worst_fn - COMPLEXITY_THRESHOLD) / 2
        reasons.append(f"a function of complexity {worst_fn}")
    if fan_in or fan_out:
        weight += FAN_WEIGHT * (fan_in + fan_out)
        reasons.append(f"imported by {fan_in}, imports {fan_out} internal modules")
    if cycle:
        weight += CYCLE_WEIGHT
        reasons.append(f"in the import cycle {cycle}")
    if violations:
        weight += VIOLATION_WEIGHT * len(violations)
        reasons.extend(violations)
    return Target(info.path, info.role, round(weight, 3), tuple(reasons), fan_in, fan_out,
                  bool(cycle), len(violations))  # fmt: skip


def _functions(info: SourceFileInfo) -> tuple[FunctionMetrics, ...]:
    return info.metrics.functions if info.metrics is not None else ()


def _fans(architecture: ArchitectureResult) -> tuple[Counter[str], Counter[str]]:
    """Distinct internal importers and importees per module."""
    edges = {(e.source, e.target) for e in architecture.imports if not e.external}
    edges = {(s, t) for s, t in edges if s != t}
    return Counter(t for _, t in edges), Counter(s for s, _ in edges)


def hot_functions(
    functions: Iterable[FunctionMetrics], findings: Sequence[Finding]
) -> list[FunctionMetrics]:
    """One file's functions, those with the worst findings and complexity first."""

    def weight(fn: FunctionMetrics) -> tuple[float, int]:
        inside = [f for f in findings if fn.line <= f.line <= fn.end_line]
        w = sum(SEVERITY_WEIGHT[f.severity] for f in inside)
        return (-(w + max(0, fn.complexity - COMPLEXITY_THRESHOLD) / 2), fn.line)

    return sorted(functions, key=weight)
