"""coderev's own metric rules, for what ruff cannot see: functions and files past a threshold.

CR-MET-001 complexity, CR-MET-002 function length in logical lines of code, CR-MET-003
parameters (without a method's bound self/cls), CR-MET-004 nesting (each per function, as
FunctionMetrics defines them) and CR-MET-005 maintainability index (per file). Severity grows
with how far past the threshold the value is: up to 2x the threshold is medium, up to 4x
high, beyond that critical (for the maintainability index, which must stay *above* its floor:
below the floor medium, below half of it high, at zero critical). Fingerprints use the function's
qualified name as locator, so they survive lines moving above it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from coderev.domain.config import Thresholds
from coderev.domain.findings import Category, Finding, Severity, fingerprint
from coderev.domain.metrics import FileMetrics, FunctionMetrics

COMPLEXITY = "CR-MET-001"
LENGTH = "CR-MET-002"
PARAMETERS = "CR-MET-003"
NESTING = "CR-MET-004"
MAINTAINABILITY = "CR-MET-005"


@dataclass(frozen=True, slots=True)
class _Rule:
    rule_id: str
    metric: str
    what: str  # what the function "has", e.g. "cyclomatic complexity {value}"


_RULES = (
    _Rule(COMPLEXITY, "complexity", "cyclomatic complexity {value}"),
    _Rule(LENGTH, "length", "{value} logical lines of code"),
    _Rule(PARAMETERS, "parameters", "parameter count {value}"),
    _Rule(NESTING, "nesting", "block nesting depth {value}"),
)


def fix_hint(metric: str, fn: FunctionMetrics) -> str:
    """What to do about `fn`'s `metric`, saying only what applies to this function: the
    keyword-only advice only when some optional parameter can still be passed by position."""
    name = fn.qualname
    if metric == "complexity":
        return (
            f"Extract the separate decisions of {name} (a branch, a loop body, an exception "
            "handler) into small named functions, each then testable alone; an if/elif chain "
            "that maps values to results can become a lookup table."
        )
    if metric == "length":
        return (
            f"Split {name} into steps: move each block that does one thing (a loop body, a "
            "stretch a comment introduces) into a function whose name says what it does."
        )
    if metric == "parameters":
        hint = f"Group the parameters of {name} that travel together into a dataclass."
        if fn.optional_positional:
            n = fn.optional_positional
            ones = "parameter" if n == 1 else "parameters"
            hint += f" Make its {n} optional positional {ones} keyword-only (after `*`)."
        return hint
    if fn.flat_nesting is not None and fn.flat_nesting < fn.nesting and fn.guard_lines:
        lines = ", ".join(str(n) for n in fn.guard_lines[:3])
        where = "line" if len(fn.guard_lines[:3]) == 1 else "lines"
        return (
            f"Turn the `if` on {where} {lines} of {name} into guard clauses (test the opposite "
            f"and return, continue or raise early): that takes its nesting from {fn.nesting} "
            f"to {fn.flat_nesting}; then move what is still deep into its own function."
        )
    return (
        f"Move the innermost blocks of {name} into their own functions (none of its `if`s "
        "can become a guard clause without changing what it does)."
        if fn.flat_nesting is not None
        else f"Flatten {name} with guard clauses (return or continue early) and move the "
        "innermost blocks into their own functions."
    )


def severity_over(value: float, limit: float) -> Severity:
    """medium up to 2x the limit, high up to 4x, critical beyond (value > limit assumed)."""
    if limit <= 0 or value > 4 * limit:
        return Severity.CRITICAL
    if value > 2 * limit:
        return Severity.HIGH
    return Severity.MEDIUM


def _value(fn: FunctionMetrics, metric: str) -> int:
    value: int = getattr(fn, metric)
    return value


def _limit(thresholds: Thresholds, metric: str) -> int:
    return {
        "complexity": thresholds.max_complexity,
        "length": thresholds.max_function_length,
        "parameters": thresholds.max_parameters,
        "nesting": thresholds.max_nesting,
    }[metric]


def _function_findings(
    path: str, fn: FunctionMetrics, thresholds: Thresholds, column: int
) -> list[Finding]:
    out: list[Finding] = []
    kind = "method" if fn.is_method else "function"
    for rule in _RULES:
        value = _value(fn, rule.metric)
        limit = _limit(thresholds, rule.metric)
        if value <= limit:
            continue
        has = rule.what.format(value=value)
        out.append(
            Finding(
                rule_id=rule.rule_id,
                severity=severity_over(value, limit),
                category=Category.MAINTAINABILITY,
                path=path,
                line=fn.line,
                column=column,
                end_line=fn.end_line,
                message=f"{kind} {fn.qualname} has {has} (threshold {limit})",
                fix_hint=fix_hint(rule.metric, fn),
                fingerprint=fingerprint(rule.rule_id, path, fn.qualname),
                extra=_extra(rule.metric, fn, value, limit),
            )
        )
    return out


def _extra(metric: str, fn: FunctionMetrics, value: int, limit: int) -> dict[str, str]:
    extra = {"metric": metric, "qualname": fn.qualname, "value": str(value)}
    extra["threshold"] = str(limit)
    if metric == "nesting" and fn.flat_nesting is not None:
        extra["flat_nesting"] = str(fn.flat_nesting)
        extra["guard_lines"] = ",".join(str(n) for n in fn.guard_lines)
    return extra


def _file_finding(path: str, metrics: FileMetrics, thresholds: Thresholds) -> Finding:
    floor = thresholds.min_maintainability
    mi = metrics.maintainability_index
    if mi <= 0:
        severity = Severity.CRITICAL
    elif mi < floor / 2:
        severity = Severity.HIGH
    else:
        severity = Severity.MEDIUM
    return Finding(
        rule_id=MAINTAINABILITY,
        severity=severity,
        category=Category.MAINTAINABILITY,
        path=path,
        line=1,
        message=f"file has maintainability index {mi:.1f} (threshold {floor:g})",
        fix_hint=_file_hint(metrics, thresholds.max_complexity),
        fingerprint=fingerprint(MAINTAINABILITY, path, "<file>"),
        extra={"metric": "maintainability", "value": f"{mi:.1f}"},
    )


def _file_hint(metrics: FileMetrics, max_complexity: int) -> str:
    """Where the index comes from decides the advice: complex functions to simplify when some
    are past the complexity threshold, else the file's sheer size. Never "add comments": they
    raise the index without making the code easier to change."""
    worst = max(metrics.functions, key=lambda f: f.complexity, default=None)
    if worst is not None and worst.complexity > max_complexity:
        return (
            f"Reduce the file's most complex functions, starting with {worst.qualname} "
            f"(complexity {worst.complexity}), and split the file where it holds several "
            "responsibilities."
        )
    return (
        f"No function here is past the complexity threshold: the index is low because the file "
        f"is large ({metrics.lloc} logical lines). Split it where it holds several "
        "responsibilities; if it is generated code or one cohesive table, exclude it with "
        "[tool.coderev] exclude."
    )


def threshold_findings(
    path: str, source_lines: Sequence[str], metrics: FileMetrics, thresholds: Thresholds
) -> list[Finding]:
    """Maintainability findings for the functions and the file past `thresholds`, in line order.

    `source_lines` holds the file's lines; a finding's column is the indentation of its `def`.
    """
    findings: list[Finding] = []
    for fn in metrics.functions:
        column = 0
        if 0 < fn.line <= len(source_lines):
            text = source_lines[fn.line - 1]
            column = len(text) - len(text.lstrip())
        findings.extend(_function_findings(path, fn, thresholds, column))
    if metrics.maintainability_index < thresholds.min_maintainability:
        findings.append(_file_finding(path, metrics, thresholds))
    findings.sort(key=lambda f: (f.line, f.rule_id))
    return findings
