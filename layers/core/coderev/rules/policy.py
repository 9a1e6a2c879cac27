"""The severity policy: the one place a finding's severity and category are decided.

A finding's severity is its rule's catalogue severity (for a graded rule, the finder's own
grading capped at that), then capped by its category, then lowered for the role of the file
it is in. A rule meaningless in that role (the catalogue's `skip_roles`) is not reported
there at all. docs/severity-policy.md holds the same tables; a unit test reads them from the
document and checks this module against them, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from coderev.domain.findings import Category, Finding, Severity
from coderev.domain.roles import FileRole
from coderev.rules.catalogue import Catalogue, default_catalogue

_BY_RANK = sorted(Severity, key=lambda s: s.rank)  # info ... critical

# The highest severity a finding of each category can have, whatever its rule says.
CATEGORY_CEILING: dict[Category, Severity] = {
    Category.SECURITY: Severity.CRITICAL,
    Category.BUG_RISK: Severity.HIGH,
    Category.ARCHITECTURE: Severity.HIGH,
    Category.MAINTAINABILITY: Severity.MEDIUM,
    Category.STYLE: Severity.LOW,
}


# A rule missing from the catalogue (a ruff newer than its data file) was vetted by nobody.
UNKNOWN_RULE_CEILING = Severity.MEDIUM


@dataclass(frozen=True, slots=True)
class RoleAdjustment:
    """How a file role changes a finding's severity: `lower` steps down, then `ceiling`."""

    lower: int
    ceiling: Severity


ROLE_ADJUSTMENT: dict[FileRole, RoleAdjustment] = {
    FileRole.SOURCE: RoleAdjustment(0, Severity.CRITICAL),
    FileRole.TEST: RoleAdjustment(1, Severity.MEDIUM),
    FileRole.EXAMPLE: RoleAdjustment(1, Severity.MEDIUM),
    FileRole.BUILD: RoleAdjustment(1, Severity.MEDIUM),
    FileRole.DOCS: RoleAdjustment(1, Severity.LOW),
    FileRole.GENERATED: RoleAdjustment(2, Severity.LOW),
}


def lower(level: Severity, steps: int) -> Severity:
    """`level` lowered by `steps` (never below info)."""
    return _BY_RANK[max(level.rank - steps, 0)]


def at_most(level: Severity, ceiling: Severity) -> Severity:
    return level if level.rank <= ceiling.rank else ceiling


def severity(
    rule_id: str,
    role: FileRole = FileRole.SOURCE,
    graded: Severity | None = None,
    book: Catalogue | None = None,
    form: str | None = None,
) -> Severity | None:
    """The severity a finding of `rule_id` in a file of `role` is reported at; None: not reported.

    `graded` is the finder's own grading, used only for rules the catalogue marks graded. A
    rule the catalogue lacks keeps the finder's grading, at most UNKNOWN_RULE_CEILING. `form`
    names one of the rule's forms (`extra["form"]`, set by the finder): its severity replaces
    the rule's.
    """
    book = book or default_catalogue()
    if rule_id not in book:
        level = at_most(graded or Severity.LOW, UNKNOWN_RULE_CEILING)
    else:
        entry = book.rule(rule_id)
        if role in entry.skip_roles:
            return None
        level = at_most(graded, entry.severity) if entry.graded and graded else entry.severity
        if form and (narrower := entry.form_named(form)) and narrower.severity:
            level = narrower.severity
        level = at_most(level, CATEGORY_CEILING[entry.category])
    adjustment = ROLE_ADJUSTMENT[role]
    return at_most(lower(level, adjustment.lower), adjustment.ceiling)


def apply_policy(findings: Iterable[Finding], book: Catalogue | None = None) -> list[Finding]:
    """`findings` with the policy's severity and the catalogue's category, in the same order;
    the ones their role makes meaningless are left out."""
    book = book or default_catalogue()
    out = []
    for f in findings:
        level = severity(f.rule_id, f.role, f.severity, book, f.extra.get("form"))
        if level is None:
            continue
        category = book.rule(f.rule_id).category if f.rule_id in book else f.category
        if level is not f.severity or category is not f.category:
            f = replace(f, severity=level, category=category)
        out.append(f)
    return out
