"""Dedupe: findings that deserve one comment between them, grouped before comments are written.

- The same rule in the same file is one group (30 x E501 in one file: one comment, all lines).
- A function's metric findings (complexity, length, parameters, nesting) are one group.
- Each architecture finding (one contract-violating import, one cycle) is its own group.
- One rule in product code in `PATTERN_FILES` or more files is a project-wide pattern: one
  decision the project made once (every backend builds SQL from quoted identifiers; every cache
  pickles its own values), so a reviewer says it once, naming the places, rather than once per
  file (`merge_patterns`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from coderev.domain.findings import Category, Finding, FindingStatus, Severity
from coderev.domain.metrics import FunctionMetrics, SourceFileInfo
from coderev.domain.roles import FileRole
from coderev.review.ranking import CATEGORY_WEIGHT

METRIC_PREFIX = "CR-MET-"
ARCHITECTURE_PREFIX = "CR-ARCH-"
# Keys under which an analyser may name the function a finding is about.
_FUNCTION_KEYS = ("qualname", "function", "symbol")
# Which function metric a finding is about, from its `extra["metric"]` or its message.
_ASPECT_WORDS = (
    ("maintainability", ("maintainab",)),
    ("nesting", ("nest",)),
    ("parameters", ("parameter", "argument")),
    ("complexity", ("complex",)),
    ("length", ("line", "long", "length")),
)


PATTERN_FILES = 4


class GroupKind(StrEnum):
    RULE = "rule"  # one rule, one file, one or more places
    PATTERN = "pattern"  # one rule across many files of product code: a project-wide pattern
    FUNCTION = "function"  # one function's metric findings
    ARCHITECTURE = "architecture"  # one contract violation or one import cycle


@dataclass(frozen=True, slots=True)
class FindingGroup:
    kind: GroupKind
    path: str
    findings: tuple[Finding, ...]  # in line order
    function: FunctionMetrics | None = None  # the function all the findings sit in, if one

    @property
    def lead(self) -> Finding:
        """The finding that sets the comment's severity and category."""
        return min(self.findings, key=lambda f: (-f.severity.rank, -CATEGORY_WEIGHT[f.category]))

    @property
    def severity(self) -> Severity:
        return self.lead.severity

    @property
    def category(self) -> Category:
        return self.lead.category

    @property
    def line(self) -> int:
        """The first flagged line in the group's file (a pattern's anchor file)."""
        return min(f.line for f in self.findings if f.path == self.path)

    @property
    def lines(self) -> tuple[int, ...]:
        return tuple(sorted({f.line for f in self.findings}))

    @property
    def paths(self) -> tuple[str, ...]:
        """The files the group's findings are in, in order of first appearance."""
        return tuple(dict.fromkeys(f.path for f in self.findings))

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f.rule_id for f in self.findings))

    @property
    def fingerprints(self) -> tuple[str, ...]:
        return tuple(f.fingerprint for f in self.findings)

    @property
    def is_new(self) -> bool:
        return any(f.status is FindingStatus.NEW for f in self.findings)


def metric_aspect(finding: Finding) -> str | None:
    """"complexity", "length", "parameters", "nesting" or "maintainability"; None if unclear."""
    text = (finding.extra.get("metric") or finding.message).lower()
    for aspect, words in _ASPECT_WORDS:
        if any(w in text for w in words):
            return aspect
    return None


def enclosing_function(
    functions: Sequence[FunctionMetrics], finding: Finding
) -> FunctionMetrics | None:
    """The function a finding names (extra qualname/function) or, failing that, the innermost
    function whose lines contain the finding's line."""
    for key in _FUNCTION_KEYS:
        named = finding.extra.get(key)
        if named:
            for fn in functions:
                if named in (fn.qualname, fn.name):
                    return fn
    containing = [fn for fn in functions if fn.line <= finding.line <= fn.end_line]
    return max(containing, key=lambda fn: (fn.line, -fn.end_line), default=None)


def functions_by_path(files: Iterable[SourceFileInfo]) -> dict[str, tuple[FunctionMetrics, ...]]:
    return {i.path: i.metrics.functions for i in files if i.metrics is not None}


def group_findings(
    findings: Iterable[Finding], files: Iterable[SourceFileInfo] = ()
) -> list[FindingGroup]:
    """Findings grouped for commenting, groups in order of first appearance."""
    functions = functions_by_path(files)
    buckets: dict[tuple[str, ...], list[Finding]] = {}
    kinds: dict[tuple[str, ...], GroupKind] = {}
    for f in findings:
        key, kind = _group_key(f, functions)
        buckets.setdefault(key, []).append(f)
        kinds[key] = kind
    groups = []
    for key, members in buckets.items():
        ordered = tuple(sorted(members, key=lambda f: (f.line, f.column, f.fingerprint)))
        path = ordered[0].path
        groups.append(
            FindingGroup(
                kind=kinds[key], path=path, findings=ordered,
                function=_common_function(functions.get(path, ()), ordered),
            )
        )
    return groups


def _group_key(
    f: Finding, functions: Mapping[str, Sequence[FunctionMetrics]]
) -> tuple[tuple[str, ...], GroupKind]:
    if f.category is Category.ARCHITECTURE or f.rule_id.startswith(ARCHITECTURE_PREFIX):
        return ("arch", f.fingerprint), GroupKind.ARCHITECTURE
    if f.rule_id.startswith(METRIC_PREFIX) and metric_aspect(f) != "maintainability":
        fn = enclosing_function(functions.get(f.path, ()), f)
        if fn is not None:
            return ("function", f.path, fn.qualname, str(fn.line)), GroupKind.FUNCTION
    return ("rule", f.path, f.rule_id), GroupKind.RULE


def _common_function(
    functions: Sequence[FunctionMetrics], findings: Sequence[Finding]
) -> FunctionMetrics | None:
    found = {enclosing_function(functions, f) for f in findings}
    return found.pop() if len(found) == 1 else None


def merge_patterns(
    groups: Sequence[FindingGroup], min_files: int = PATTERN_FILES
) -> list[FindingGroup]:
    """`groups` with each rule found in product code in `min_files` or more files merged into
    one PATTERN group (anchored at its gravest file, the one with most places of those); the
    rest unchanged, in order."""
    by_rule: dict[str, list[FindingGroup]] = {}
    for g in groups:
        if g.kind is GroupKind.RULE and all(f.role is FileRole.SOURCE for f in g.findings):
            by_rule.setdefault(g.lead.rule_id, []).append(g)
    spread = {rule: members for rule, members in by_rule.items() if len(members) >= min_files}
    out: list[FindingGroup] = []
    done: set[str] = set()
    for g in groups:
        rule = g.lead.rule_id if g.kind is GroupKind.RULE else None
        if rule not in spread:
            out.append(g)
        elif rule not in done:
            done.add(rule)
            members = spread[rule]
            anchor = min(members, key=lambda m: (-m.severity.rank, -len(m.findings), m.path))
            findings = tuple(
                f for m in sorted(members, key=lambda m: m is not anchor) for f in m.findings
            )
            out.append(FindingGroup(GroupKind.PATTERN, anchor.path, findings))
    return out
