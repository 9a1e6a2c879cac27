"""What the offline reviewer posts as review comments, and what it leaves to the report.

Every finding stays in the report (report.json, the tables of report.md and report.html); a
review comment is what a reviewer would write on the pull request, and each one costs the
author's attention. A reviewer that posts everything true is uninstalled after one report, so
a group of findings becomes a comment only when it passes this bar:

- Style is never posted: a formatter's or linter's job, not a reviewer's.
- Outside product code (tests, examples, docs, build scripts, generated code) only what the
  severity policy still rates high or critical there.
- A rule's finding is posted when the rule's catalogue precision is at least medium and the
  finding's severity (after the policy) at least medium: audit-style rules that mostly flag
  safe code (subprocess without a shell, `random`, `try/except/pass`) stay in the report.
- A function's size is posted only for a hotspot, a function a reviewer would ask to split:
  complexity at least 2.5x its threshold, logical length at least 2x, or nesting at least 1.5x
  (with the defaults: complexity 25, 120 logical lines, nesting 6). Length counts only when the
  function also branches past its complexity threshold (a long straight list of steps, a test
  script, a data builder, a class factory, is not made simpler by splitting); nesting only when
  guard clauses flatten it (coderev.analysis.guard_clauses; the comment names those `if`s).
  Parameter counts alone are never posted: a long signature is often a public API that cannot
  change (the finding stays).
  A posted function comment still names every measure past its threshold.
- A broken architecture contract is always posted: the project declared the rule. An
  import-time cycle is posted when a baseline shows it is new; a cycle the code already had
  is the project's working layout, listed (with its cut) in the report's architecture section.

The bars are data (`HOTSPOT_FACTORS`, `MIN_PRECISION`, `MIN_SEVERITY`); docs/severity-policy.md
states them beside the severity policy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from coderev.domain.findings import Category, Finding, Severity
from coderev.domain.roles import FileRole
from coderev.review.grouping import FindingGroup, GroupKind, metric_aspect
from coderev.rules import Catalogue, Precision

__all__ = [
    "FAR_PAST", "HOTSPOT_FACTORS", "MIN_PRECISION", "MIN_SEVERITY", "PostingPolicy",
    "far_past", "post_everything", "precision_rank", "worth_posting",
]  # fmt: skip

CYCLE_RULE = "CR-ARCH-002"
HOTSPOT_FACTORS: dict[str, float] = {"complexity": 2.5, "length": 2.0, "nesting": 1.5}
FAR_PAST = 4.0
MIN_PRECISION = Precision.MEDIUM
MIN_SEVERITY = Severity.MEDIUM
PostingPolicy = Callable[[FindingGroup, Catalogue, bool], bool]
_PRECISION_RANK = {Precision.LOW: 0, Precision.MEDIUM: 1, Precision.HIGH: 2, Precision.VERY_HIGH: 3}


def worth_posting(group: FindingGroup, catalogue: Catalogue, baseline: bool = False) -> bool:
    """Whether `group` passes the posting bar (see the module docstring); `baseline`: the
    review has one, so a finding's new/existing status means something."""
    if group.category is Category.STYLE:
        return False
    if any(f.role is not FileRole.SOURCE for f in group.findings):
        return group.severity.at_least(Severity.HIGH)
    if group.kind is GroupKind.ARCHITECTURE:
        return group.lead.rule_id != CYCLE_RULE or (baseline and group.is_new)
    if group.kind is GroupKind.FUNCTION:
        return any(_is_hotspot(f, group.findings) for f in group.findings)
    return _trusted(group.findings, catalogue) and group.severity.at_least(MIN_SEVERITY)


def _trusted(findings: Iterable[Finding], catalogue: Catalogue) -> bool:
    """The rule's precision is at least MIN_PRECISION, or its form's, when the finding is in
    a form of the rule that has its own (S608 with a value between single quotes)."""
    lead = max(findings, key=lambda f: f.severity.rank)
    entry = catalogue.rule(lead.rule_id)
    form = entry.form_named(lead.extra["form"]) if "form" in lead.extra else None
    precision = form.precision if form and form.precision else entry.precision
    return precision_rank(precision) >= precision_rank(MIN_PRECISION)


def precision_rank(precision: Precision) -> int:
    """low 0 ... very-high 3: how often a rule of that precision is right, as an order."""
    return _PRECISION_RANK[precision]


def _is_hotspot(finding: Finding, group: Iterable[Finding] = ()) -> bool:
    """Past its hotspot factor, and the advice applies: a long function only when it also
    branches past its complexity threshold (a long straight list of steps, such as a test
    script, a data builder or a class factory, is not simpler split), deep nesting only when
    guard clauses flatten it (when coderev worked that out: `flat_nesting`)."""
    aspect = metric_aspect(finding)
    factor = HOTSPOT_FACTORS.get(aspect or "")
    if factor is None or _ratio(finding) < factor:
        return False
    if aspect == "length":
        return any(metric_aspect(f) == "complexity" for f in group)
    if aspect == "nesting" and "flat_nesting" in finding.extra:
        return int(finding.extra["flat_nesting"]) < int(finding.extra["value"])
    return True


def far_past(finding: Finding) -> bool:
    """A complexity or length at least FAR_PAST times its threshold: the worst hotspots,
    ranked before every rule of the same severity (see ranking)."""
    return metric_aspect(finding) in ("complexity", "length") and _ratio(finding) >= FAR_PAST


def _ratio(finding: Finding) -> float:
    """A metric finding's value over its threshold (0 when it carries no threshold)."""
    try:
        value = float(finding.extra["value"])
        limit = float(finding.extra["threshold"])
    except (KeyError, ValueError):
        return 0.0
    return value / limit if limit > 0 else 0.0


def post_everything(group: FindingGroup, catalogue: Catalogue, baseline: bool = False) -> bool:
    """A policy that posts every group (to see every comment's text, as the tests do)."""
    return True
